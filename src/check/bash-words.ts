/**
 * Bash words as bash would expand them, as far as that is known before running: quotes removed
 * (`'cu'"rl"`, `cu\rl`, `$'\x63url'` are all `curl`), and `$var` / `${var}` replaced by the literal values
 * the script assigns to it anywhere (`c=curl; $c`, `for c in curl wget`), so a word can stand for several
 * candidates. `$(which curl)` is `curl`. Anything else (command output, arithmetic, unknown variables)
 * makes the word unknown.
 */
import type { SyntaxNode } from './parsers.js';
import { namedNodes } from './report.js';

/** Candidate values of a word, or undefined when it cannot be known before running. */
export type Candidates = string[] | undefined;

const MAX_CANDIDATES = 16;
const MAX_DEPTH = 32;

const ANSI_C: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  v: '\v',
};

function decodeAnsiC(body: string): string {
  return body.replace(
    /\\(?:x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8})|([0-7]{1,3})|c.|(.))/gs,
    (whole, x?: string, u?: string, U?: string, o?: string, c?: string) => {
      const hex = x ?? u ?? U;
      if (hex !== undefined) return String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff));
      if (o !== undefined) return String.fromCharCode(parseInt(o, 8) & 0xff);
      if (c === undefined) return ''; // \cX control characters: never part of a name
      return ANSI_C[c] ?? c;
    },
  );
}

const product = (a: string[], b: string[]): Candidates => {
  const out = a.flatMap((x) => b.map((y) => x + y));
  return out.length > MAX_CANDIDATES ? undefined : out;
};

const unescapeDoubleQuoted = (text: string): string =>
  text.replace(/\\\n/g, '').replace(/\\([$`"\\])/g, '$1');

/**
 * The parts of a word: a concatenation's children; for a double-quoted string, its expansions and the
 * literal text between them (tree-sitter-bash does not always wrap that text in a node).
 */
function pieces(node: SyntaxNode): Array<string | SyntaxNode> {
  if (node.type === 'concatenation') return node.namedChildren;
  if (node.type !== 'string') return [node];
  const text = node.text;
  const base = node.startIndex;
  const out: Array<string | SyntaxNode> = [];
  let pos = text.indexOf('"') + 1; // also skips the `$` of `$"..."`
  for (const part of node.namedChildren) {
    const start = part.startIndex - base;
    if (start > pos) out.push(unescapeDoubleQuoted(text.slice(pos, start)));
    out.push(part.type === 'string_content' ? unescapeDoubleQuoted(part.text) : part);
    pos = part.endIndex - base;
  }
  if (text.length - 1 > pos) out.push(unescapeDoubleQuoted(text.slice(pos, text.length - 1)));
  return out;
}

/** A command's words: the name (inside its command_name node), then the arguments. */
export function commandWords(command: SyntaxNode): SyntaxNode[] {
  const name = command.childForFieldName('name');
  const first = name === null ? [] : [name.namedChildren[0] ?? name];
  return [...first, ...command.childrenForFieldName('argument')];
}

/**
 * The command lines in a command's words. tree-sitter-bash 0.20 glues a line that starts with a backslash
 * (`\curl x`) onto the previous command as arguments; bash runs it as a command of its own, so a word after
 * an unescaped newline starts a new command here too.
 */
export function commandLines(command: SyntaxNode): SyntaxNode[][] {
  const lines: SyntaxNode[][] = [];
  let previous: SyntaxNode | undefined;
  for (const word of commandWords(command)) {
    const before = previous
      ? command.text.slice(previous.endIndex - command.startIndex, word.startIndex - command.startIndex)
      : '';
    const gap = before + (/^\s*/.exec(word.text)?.[0] ?? ''); // the glued word starts with the newline
    const current = lines[lines.length - 1];
    if (current === undefined || (gap.includes('\n') && !/\\\r?\n/.test(gap))) lines.push([word]);
    else current.push(word);
    previous = word;
  }
  return lines;
}

export class BashWords {
  private readonly vars = new Map<string, Set<string>>();
  private readonly unknownVars = new Set<string>();

  constructor(root: SyntaxNode) {
    for (let round = 0; round < 4; round++) {
      const before = this.size();
      for (const node of namedNodes(root)) this.collect(node);
      if (this.size() === before) break;
    }
  }

  private size(): number {
    let n = this.unknownVars.size;
    for (const set of this.vars.values()) n += set.size;
    return n;
  }

  private assign(name: string, values: Candidates): void {
    if (values === undefined) {
      this.unknownVars.add(name);
      return;
    }
    let set = this.vars.get(name);
    if (set === undefined) this.vars.set(name, (set = new Set()));
    for (const value of values) set.add(value);
  }

  private collect(node: SyntaxNode): void {
    if (node.type === 'variable_assignment') {
      const name = node.childForFieldName('name')?.text;
      const value = node.childForFieldName('value');
      if (name !== undefined) this.assign(name, value === null ? [''] : this.candidates(value));
    } else if (node.type === 'for_statement') {
      const name = node.childForFieldName('variable')?.text;
      const values = node.childrenForFieldName('value');
      if (name === undefined) return;
      if (values.length === 0) this.unknownVars.add(name); // `for x; do` iterates "$@"
      for (const value of values) this.assign(name, this.candidates(value));
    }
  }

  /** A variable's candidate values; unknown when it is never assigned a literal or also set from elsewhere. */
  variable(name: string): Candidates {
    const set = this.vars.get(name);
    if (set === undefined || this.unknownVars.has(name)) return undefined;
    return [...set];
  }

  /** The only candidate, or undefined. */
  literal(node: SyntaxNode | null | undefined): string | undefined {
    const values = node ? this.candidates(node) : undefined;
    return values?.length === 1 ? values[0] : undefined;
  }

  /** The constant start of a word (`/proc/` of `/proc/$pid/mem`). */
  leading(node: SyntaxNode): string {
    let text = '';
    for (const piece of pieces(node)) {
      const value = typeof piece === 'string' ? piece : this.literal(piece);
      if (value === undefined) return text;
      text += value;
    }
    return text;
  }

  candidates(node: SyntaxNode, depth = 0): Candidates {
    if (depth > MAX_DEPTH) return undefined;
    switch (node.type) {
      case 'word':
      case 'number':
      case 'variable_name':
        // An unquoted word has no newline; a leading one comes from the glued line (see commandLines).
        return [node.text.replace(/^\s+/, '').replace(/\\\n/g, '').replace(/\\(.)/gs, '$1')];
      case 'raw_string':
        return [node.text.slice(1, -1)];
      case 'string_content':
        return [unescapeDoubleQuoted(node.text)];
      case 'ansi_c_string':
        return [decodeAnsiC(node.text.slice(2, -1))];
      case 'simple_expansion':
      case 'expansion': {
        const names = node.namedChildren;
        const only = names.length === 1 ? names[0] : undefined;
        return only?.type === 'variable_name' ? this.variable(only.text) : undefined;
      }
      case 'command_substitution':
        return this.lookedUpCommand(node, depth);
      case 'string':
      case 'concatenation': {
        let out: Candidates = [''];
        for (const piece of pieces(node)) {
          const values = typeof piece === 'string' ? [piece] : this.candidates(piece, depth + 1);
          out = values === undefined ? undefined : product(out, values);
          if (out === undefined) return undefined;
        }
        return out;
      }
      default:
        return undefined;
    }
  }

  /** `$(which curl)`, `$(command -v curl)`, `$(type -P curl)` stand for `curl`. */
  private lookedUpCommand(node: SyntaxNode, depth: number): Candidates {
    const inner = node.namedChildren.length === 1 ? node.namedChildren[0] : undefined;
    if (inner?.type !== 'command') return undefined;
    const values = commandWords(inner).map((word) => this.candidates(word, depth + 1));
    const [name, ...args] = values.map((v) => (v?.length === 1 ? v[0] : undefined));
    const lookup = name === 'which' || name === 'command' || name === 'type';
    const target = args.filter((arg) => arg === undefined || !arg.startsWith('-'));
    return lookup && target.length === 1 && target[0] !== undefined ? [target[0]] : undefined;
  }
}
