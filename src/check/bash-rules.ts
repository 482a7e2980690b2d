/**
 * Bash detectors. A command is judged by what its name expands to (BashWords), through aliases
 * (`alias g=wget`) and wrappers (`timeout 5 sudo curl ...`). Code handed to a shell or interpreter as a
 * literal (`bash -c '...'`, `python3 -c '...'`, a quoted heredoc) is returned as `embedded` and checked in
 * its own language; code that is computed or piped in cannot be, and is a finding itself.
 */
import { posix } from 'node:path';
import {
  DAEMON_COMMANDS,
  INTERPRETERS,
  isInteresting,
  NETWORK_COMMANDS,
  PRIVILEGE_COMMANDS,
  SHELLS,
  WRAPPERS,
  WRITE_REDIRECTS,
  WRITERS,
} from './bash-tables.js';
import { BashWords, commandLines, commandWords } from './bash-words.js';
import { outsideWorkDirs } from './literals.js';
import type { SyntaxNode } from './parsers.js';
import { namedNodes, positionOf, snippet, type FindingSink, type Position } from './report.js';
import type { CheckLanguage } from './types.js';

/** Code in another language (or in bash again) found inside the script, to be checked on its own. */
export interface Embedded {
  language: CheckLanguage;
  source: string;
  /** How the code is run, for messages: `bash -c`, `python3 (heredoc)`. */
  via: string;
  /** Where the code's first character is in the script (findings inside it are moved by this much). */
  at: Position;
}

interface Context {
  words: BashWords;
  aliases: Map<string, string>;
  sink: FindingSink;
  embedded: Embedded[];
}

const MAX_WRAPPING = 8;
const WORDS = new Set(['word', 'string', 'raw_string', 'concatenation', 'ansi_c_string']);
const basename = (name: string): string => posix.basename(name) || name;
const isDevSocket = (text: string): boolean => /^\/dev\/(?:tcp|udp)\//.test(text);

export function checkBash(root: SyntaxNode, sink: FindingSink, embedded: Embedded[]): void {
  const words = new BashWords(root);
  const ctx: Context = { words, aliases: collectAliases(root, words), sink, embedded };
  for (const node of namedNodes(root)) {
    if (node.type === 'command') checkCommand(ctx, node);
    else if (node.type === 'file_redirect') checkRedirect(ctx, node);
    if (WORDS.has(node.type) && !WORDS.has(node.parent?.type ?? '')) {
      const text = words.literal(node) ?? words.leading(node);
      if (isDevSocket(text)) sink.add('sh/dev-tcp', node, `\`${snippet(node)}\``);
    }
  }
}

/** `alias g='wget -q'`: g runs wget. */
function collectAliases(root: SyntaxNode, words: BashWords): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const node of namedNodes(root)) {
    const [name, ...args] = node.type === 'command' ? commandWords(node) : [];
    if (words.literal(name) !== 'alias') continue;
    for (const arg of args) {
      const match = /^([^=\s]+)=\s*(\S+)/.exec(words.literal(arg) ?? '');
      if (match?.[1] && match[2]) aliases.set(match[1], basename(match[2]));
    }
  }
  return aliases;
}

function checkCommand(ctx: Context, command: SyntaxNode): void {
  for (const line of commandLines(command)) runWords(ctx, command, line, 0);
}

function runWords(ctx: Context, command: SyntaxNode, words: SyntaxNode[], depth: number): void {
  const [first, ...args] = words;
  // `(( n > 0 ))` is arithmetic, which tree-sitter-bash 0.20 parses as a command named by the expression.
  if (first === undefined || (first.type === 'arithmetic_expansion' && first.text.startsWith('(('))) return;
  const names = ctx.words.candidates(first);
  if (names === undefined) {
    ctx.sink.add('sh/computed-command', startOf(first), `\`${snippet(first)}\` as a command`);
    return;
  }
  for (const raw of names) {
    let name = basename(raw);
    for (let i = 0; i < 3; i++) name = ctx.aliases.get(name) ?? name;
    applyRules(ctx, command, name, first, args, depth);
  }
}

/** Where a word starts, past the newline a glued word begins with (see commandLines). */
function startOf(word: SyntaxNode): Position {
  const lead = /^\s*/.exec(word.text)?.[0] ?? '';
  const lines = lead.split('\n');
  if (lines.length === 1) return positionOf(word);
  return { line: word.startPosition.row + lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

function applyRules(
  ctx: Context,
  command: SyntaxNode,
  name: string,
  word: SyntaxNode,
  args: SyntaxNode[],
  depth: number,
): void {
  const { sink, words } = ctx;
  const at = startOf(word);
  const what = snippet(word) === name ? `\`${name}\`` : `\`${snippet(word)}\` (${name})`;
  if (NETWORK_COMMANDS.has(name)) sink.add('sh/network', at, what);
  if (PRIVILEGE_COMMANDS.has(name)) sink.add('sh/privilege', at, what);
  if (DAEMON_COMMANDS.has(name)) sink.add('sh/daemon', at, what);
  if (name === 'eval') sink.add('sh/eval', at, what);
  if ((name === 'source' || name === '.') && args[0] !== undefined) {
    const path = words.literal(args[0]);
    // /dev/stdin, /dev/fd/N, /proc/self/fd/N: the file is whatever was fed in, as good as computed.
    if (path === undefined || /^\/(?:dev\/(?:stdin|fd\/)|proc\/self\/fd\/)/.test(path)) {
      sink.add('sh/source-computed', at, `\`${snippet(command)}\``);
    }
  }
  if (name === 'trap' && args[0] !== undefined)
    handOver(ctx, args[0], words.literal(args[0]), 'bash', 'trap');
  if (name === 'chmod' && args.some((arg) => isSetIdMode(words.literal(arg)))) {
    sink.add('sh/privilege', at, `\`${snippet(command)}\` sets the setuid/setgid bit`);
  }
  checkWrites(ctx, name, args);
  if (SHELLS.has(name) || INTERPRETERS.has(name)) checkCode(ctx, command, name, word, args);
  if (WRAPPERS.has(name) && depth < MAX_WRAPPING) {
    const inner = args.findIndex((arg) =>
      (words.candidates(arg) ?? []).some((n) => isInteresting(basename(n))),
    );
    if (inner >= 0) runWords(ctx, command, args.slice(inner), depth + 1);
  }
}

/** `chmod u+s`, `g=s`, `4755`, `2755`. */
function isSetIdMode(mode: string | undefined): boolean {
  if (mode === undefined) return false;
  return /^[ugoa]*[+=][rwxXtugo]*s/.test(mode) || /^0?[2-7][0-7]{3}$/.test(mode);
}

function checkWrites(ctx: Context, name: string, args: SyntaxNode[]): void {
  const mode = WRITERS.get(name);
  if (mode === undefined) return;
  const targets = mode === 'last' ? args.slice(-1) : args;
  for (const arg of targets) {
    let text = ctx.words.literal(arg) ?? ctx.words.leading(arg);
    if (mode === 'of=') {
      if (!text.startsWith('of=')) continue;
      text = text.slice(3);
    }
    reportWrite(ctx, arg, text, ctx.words.literal(arg) !== undefined);
  }
}

function checkRedirect(ctx: Context, redirect: SyntaxNode): void {
  const operator = redirect.children.find((child) => !child.isNamed)?.type;
  const destination = redirect.childForFieldName('destination');
  if (operator === undefined || !WRITE_REDIRECTS.has(operator) || destination === null) return;
  const literal = ctx.words.literal(destination);
  reportWrite(ctx, destination, literal ?? ctx.words.leading(destination), literal !== undefined);
}

function reportWrite(ctx: Context, at: SyntaxNode, text: string, complete: boolean): void {
  if (isDevSocket(text)) return; // sh/dev-tcp
  const path = outsideWorkDirs(text, complete);
  if (path !== undefined) ctx.sink.add('sh/system-path-write', at, `\`${snippet(at)}\` writes to ${path}`);
}

/** Shells and interpreters: code from `-c`/`-e`, from a heredoc or here-string, or piped in. */
function checkCode(
  ctx: Context,
  command: SyntaxNode,
  name: string,
  at: SyntaxNode,
  args: SyntaxNode[],
): void {
  const interpreter = INTERPRETERS.get(name);
  const language = interpreter ? interpreter.check : 'bash';
  const isCodeFlag = (flag: string): boolean =>
    interpreter ? interpreter.flags.includes(flag) : /^-[a-zA-Z]*c[a-zA-Z]*$/.test(flag);
  const literals = args.map((arg) => ctx.words.literal(arg));
  const flagAt = literals.findIndex((value) => value !== undefined && isCodeFlag(value));
  if (flagAt >= 0) {
    const code = args[flagAt + 1];
    if (code !== undefined)
      handOver(ctx, code, literals[flagAt + 1], language, `${name} ${literals[flagAt]}`);
    return;
  }
  const scripts = literals.filter((value) => value === undefined || (!value.startsWith('-') && value !== ''));
  if (scripts.length > 0) return; // runs a script file
  for (const input of stdinSources(command)) {
    if (input.type === 'herestring_redirect') {
      const word = input.namedChildren[0];
      if (word) handOver(ctx, word, ctx.words.literal(word), language, `${name} <<<`);
    } else {
      const body = input.namedChildren.find((child) => child.type === 'heredoc_body');
      const quoted = /['"\\]/.test(input.namedChildren.find((c) => c.type === 'heredoc_start')?.text ?? '');
      const expands = body?.namedChildren.some((child) => child.type !== 'heredoc_end') ?? false;
      // `<<-` strips leading tabs from every line before the shell or interpreter sees them.
      const text = input.text.startsWith('<<-') ? body?.text.replace(/^\t+/gm, '') : body?.text;
      if (body) handOver(ctx, body, quoted || !expands ? text : undefined, language, `${name} (heredoc)`);
    }
  }
  if (isPipedInto(command)) {
    ctx.sink.add('sh/shell-c', startOf(at), `\`${name}\` runs code piped in from another command`);
  }
}

function handOver(
  ctx: Context,
  at: SyntaxNode,
  code: string | undefined,
  language: CheckLanguage | undefined,
  via: string,
): void {
  if (code === undefined) ctx.sink.add('sh/shell-c', at, `\`${via} ${snippet(at)}\` runs a computed string`);
  else if (language !== undefined) {
    const { line, column } = positionOf(at);
    const quote = at.type === 'ansi_c_string' ? 2 : at.type === 'raw_string' || at.type === 'string' ? 1 : 0;
    ctx.embedded.push({ language, source: code, via, at: { line, column: column + quote } });
  }
}

function stdinSources(command: SyntaxNode): SyntaxNode[] {
  const own = command.childrenForFieldName('redirect');
  const parent =
    command.parent?.type === 'redirected_statement' ? command.parent.childrenForFieldName('redirect') : [];
  return [...own, ...parent].filter((r) => r.type === 'herestring_redirect' || r.type === 'heredoc_redirect');
}

function isPipedInto(command: SyntaxNode): boolean {
  const stage = command.parent?.type === 'redirected_statement' ? command.parent : command;
  const pipeline = stage.parent;
  return pipeline?.type === 'pipeline' && pipeline.namedChildren[0]?.id !== stage.id;
}
