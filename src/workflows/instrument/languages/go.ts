/**
 * Go: functions, methods (`(*T).Method`, `T.Method`) and function literals (`outer.func1`, `outer.func1.1`,
 * package-level `glob..func1`, as the Go 1.19 compiler names them) each get one statement right after the
 * body's `{`, on that line: `defer __sbx_enter("q", "file.go", L).done();`. The enter event happens when
 * the defer statement runs, `done` when the function ends however it ends (return, early return, panic,
 * named results untouched), so every call that ran emits one enter and exactly one exit or error. Nothing
 * moves to another line, so line numbers in panics and stack traces stay the user's; gofmt style is not
 * kept on the `{` lines (run gofmt on the output if it matters). No import edit: the runtime
 * (go-runtime.ts) is a file of the package itself.
 *
 * Not instrumented: `_test.go` files and `testdata/` (tests stay as they are), functions without a body
 * (assembly / linkname), functions under low-level compiler directives (`//go:nosplit` and the like: a
 * defer changes their stack needs), and files with the `ignore` build tag (run alone with `go run`, which
 * would not compile the runtime with them). Known limits: `os.Exit` / `log.Fatal` end the process without
 * running defers (the enter of the functions on the stack has no matching event); so does `main`
 * returning while other goroutines are still inside instrumented functions (the runtime of package main
 * waits up to 10 ms for those of package main that are only finishing, e.g. after `defer wg.Done()`);
 * `runtime.Goexit` counts as an exit. Cost with telemetry off: about 7 ns per call (an inlined atomic
 * load, an open-coded defer and a nil check), and tiny functions are no longer inlined (they hold a defer).
 */
import { posix } from 'node:path';
import type { SyntaxNode } from '../../../check/parsers.js';
import type { FileContext, InsertionRequest, LanguageSupport } from '../language.js';
import {
  SourceMap,
  type ExitSite,
  type FileAnalysis,
  type FunctionSite,
  type LoopSite,
  type VariableSite,
} from '../model.js';
import { fileConstraint, mentionsIgnore, readGoHeader, unionConstraint } from './go-build.js';
import { GO_RUNTIME_FILE, goRuntimeSource } from './go-runtime.js';

/** Present in every instrumented Go file (the inserted calls) and in the runtime file itself. */
export const GO_MARKER = '__sbx_enter(';

/** Directives after which a function must not get a defer (stack-size or write-barrier rules). */
const LOW_LEVEL_DIRECTIVES = new Set([
  'nosplit',
  'systemstack',
  'nowritebarrier',
  'nowritebarrierrec',
  'yeswritebarrierrec',
  'uintptrescapes',
  'norace',
  'nocheckptr',
  'cgo_unsafe_args',
  'linkname',
]);

const FUNCTION_TYPES = new Set(['function_declaration', 'method_declaration', 'func_literal']);

export function isGoTestFile(relPath: string): boolean {
  return relPath.endsWith('_test.go') || relPath.split('/').includes('testdata');
}

/** `(*T).M` / `T.M` from a method's receiver (type parameters dropped: `(*Stack[T]).Push` → `(*Stack).Push`). */
function receiverName(method: SyntaxNode): string {
  const param = method
    .childForFieldName('receiver')
    ?.namedChildren.find((c) => c.type === 'parameter_declaration');
  let type = param?.childForFieldName('type') ?? null;
  let pointer = false;
  while (type !== null) {
    if (type.type === 'parenthesized_type') type = type.namedChildren[0] ?? null;
    else if (type.type === 'pointer_type') {
      pointer = true;
      type = type.namedChildren[0] ?? null;
    } else if (type.type === 'generic_type') type = type.childForFieldName('type');
    else break;
  }
  const name = type?.text ?? '?';
  return pointer ? `(*${name})` : name;
}

function paramNames(fn: SyntaxNode): string[] {
  const list = fn.childForFieldName('parameters');
  if (list === null) return [];
  const names: string[] = [];
  for (const param of list.namedChildren) {
    if (param.type !== 'parameter_declaration' && param.type !== 'variadic_parameter_declaration') continue;
    const declared = param.childrenForFieldName('name');
    if (declared.length === 0) names.push('_');
    for (const name of declared) names.push(name.text);
  }
  return names;
}

/** The `//go:` directives in the comment lines directly above a declaration. */
function directivesAbove(node: SyntaxNode): string[] {
  const found: string[] = [];
  const siblings = node.parent?.children ?? [];
  for (let i = siblings.indexOf(node) - 1; i >= 0; i--) {
    const sibling = siblings[i];
    if (sibling?.type !== 'comment') break;
    const directive = /^\/\/go:(\w+)/.exec(sibling.text);
    if (directive?.[1] !== undefined) found.push(directive[1]);
  }
  return found;
}

interface Scope {
  /** The qualified name closures inside are named after. */
  name: string;
  /** Closures inside are `name.funcN` (top level) or `name.N` (inside a closure). */
  closurePrefix: string;
  closures: number;
}

/** Analyses one Go file (pure): functions with their exits, loops and variables. */
function analyze(root: SyntaxNode, source: string, relPath: string): FileAnalysis {
  const map = new SourceMap(source);
  const functions: FunctionSite[] = [];
  const loops: LoopSite[] = [];
  const variables: VariableSite[] = [];
  const header = readGoHeader(source);
  const ignored = mentionsIgnore(header.constraint)
    ? 'file has the "ignore" build tag (run alone with go run, without the package runtime)'
    : null;
  const glob: Scope = { name: 'glob.', closurePrefix: '.func', closures: 0 };

  const site = (node: SyntaxNode, scope: Scope | null): { fn: FunctionSite; inner: Scope } => {
    let name: string;
    let qualifiedName: string;
    let kind: FunctionSite['kind'];
    let inner: Scope;
    if (node.type === 'func_literal') {
      const outer = scope ?? glob;
      outer.closures += 1;
      name = `func${outer.closures}`;
      qualifiedName = `${outer.name}${outer.closurePrefix}${outer.closures}`;
      kind = 'closure';
      inner = { name: qualifiedName, closurePrefix: '.', closures: 0 };
    } else {
      name = node.childForFieldName('name')?.text ?? '?';
      kind = node.type === 'method_declaration' ? 'method' : 'function';
      qualifiedName = kind === 'method' ? `${receiverName(node)}.${name}` : name;
      inner = { name: qualifiedName, closurePrefix: '.func', closures: 0 };
    }
    const body = node.childForFieldName('body');
    const directive =
      node.type === 'func_literal'
        ? undefined
        : directivesAbove(node).find((d) => LOW_LEVEL_DIRECTIVES.has(d));
    const skip =
      ignored ??
      (body === null ? 'no body (implemented in assembly or by a linkname)' : null) ??
      (directive !== undefined ? `compiler directive //go:${directive}` : null);
    const fn: FunctionSite = {
      index: functions.length,
      name,
      qualifiedName,
      kind,
      params: paramNames(node),
      span: map.nodeSpan(node),
      header: map.span(node.startIndex, body?.startIndex ?? node.endIndex),
      body: body === null ? null : map.nodeSpan(body),
      exits: body === null ? [] : exitsOf(body, map),
      async: false,
      generator: false,
      skip,
    };
    return { fn, inner };
  };

  const visit = (node: SyntaxNode, scope: Scope | null): void => {
    let next = scope;
    if (FUNCTION_TYPES.has(node.type)) {
      const { fn, inner } = site(node, scope);
      functions.push(fn);
      next = inner;
    } else if (node.type === 'for_statement') {
      loops.push({ kind: 'for', span: map.nodeSpan(node) });
    } else if (node.type === 'short_var_declaration') {
      for (const id of node.childForFieldName('left')?.namedChildren ?? [])
        if (id.type === 'identifier' && id.text !== '_')
          variables.push({ name: id.text, span: map.nodeSpan(id) });
    } else if (node.type === 'var_spec' || node.type === 'const_spec') {
      for (const id of node.childrenForFieldName('name'))
        if (id.text !== '_') variables.push({ name: id.text, span: map.nodeSpan(id) });
    }
    for (const child of node.children) visit(child, next);
  };
  visit(root, null);
  return { language: 'go', path: relPath, functions, loops, variables };
}

/** Returns and panics of a body (not of the closures in it), and the implicit end when it can fall off. */
function exitsOf(body: SyntaxNode, map: SourceMap): ExitSite[] {
  const exits: ExitSite[] = [];
  const walk = (node: SyntaxNode): void => {
    if (node.type === 'func_literal') return;
    if (node.type === 'return_statement') exits.push({ kind: 'return', span: map.nodeSpan(node) });
    else if (node.type === 'call_expression' && node.childForFieldName('function')?.text === 'panic')
      exits.push({ kind: 'throw', span: map.nodeSpan(node) });
    for (const child of node.children) walk(child);
  };
  walk(body);
  const statements = body.namedChildren.filter((child) => child.type !== 'comment');
  const last = statements[statements.length - 1];
  if (last?.type !== 'return_statement') {
    exits.push({ kind: 'implicit', span: map.span(body.endIndex - 1, body.endIndex) });
  }
  return exits;
}

/** UTF-8 bytes of the last source asked about (insertion is called once per function of the same file). */
let cached: { source: string; bytes: Buffer } | undefined;
function bytesOf(source: string): Buffer {
  if (cached?.source !== source) cached = { source, bytes: Buffer.from(source, 'utf8') };
  return cached.bytes;
}

/** A Go interpreted string literal (JSON's escapes are all Go escapes for the text we pass). */
const goString = (text: string): string => JSON.stringify(text);

/** The statement inserted after a function body's `{`. */
export function goEnterStatement(fn: FunctionSite, relPath: string): string {
  return `defer __sbx_enter(${goString(fn.qualifiedName)}, ${goString(relPath)}, ${fn.span.start.line}).done();`;
}

function insertion(fn: FunctionSite, file: FileContext): InsertionRequest | { skip: string } {
  if (fn.skip !== null) return { skip: fn.skip };
  if (fn.body === null) return { skip: 'no body' };
  const bytes = bytesOf(file.source);
  const brace = fn.body.start.byte;
  if (bytes[brace] !== 0x7b) return { skip: 'body does not start with {' };
  const after = brace + 1;
  // The anchor: what follows the brace, up to the end of its line (usually just "\n"), ≤ 16 bytes.
  let end = after;
  while (end < fn.body.end.byte && end - after < 16 && bytes[end - 1] !== 0x0a) end++;
  if (end > after && bytes[end - 1] !== 0x0a)
    while (end > after && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  const expect = bytes.subarray(after, end).toString('utf8');
  const next = bytes[after];
  const spaced = next === 0x0a || next === 0x0d || next === 0x20 || next === 0x09;
  const insert = ` ${goEnterStatement(fn, file.relPath)}${spaced ? '' : ' '}`;
  const signature = bytes.subarray(fn.span.start.byte, brace).toString('utf8');
  return { edits: [{ at: after - fn.span.start.byte, delete: 0, insert, expect }], signature };
}

/** One runtime file per package directory (and package name) with instrumented files. */
function runtimeFiles(files: FileContext[]): { path: string; content: string }[] {
  const packages = new Map<string, { dir: string; name: string; constraints: Array<string | null> }>();
  for (const file of files) {
    if (isGoTestFile(file.relPath) || !file.analysis.functions.some((fn) => fn.skip === null)) continue;
    const header = readGoHeader(file.source);
    if (header.packageName === null) continue;
    const dir = posix.dirname(file.relPath);
    const key = `${dir}\0${header.packageName}`;
    const entry = packages.get(key) ?? { dir, name: header.packageName, constraints: [] };
    entry.constraints.push(fileConstraint(file.relPath, header));
    packages.set(key, entry);
  }
  const byDir = new Map<string, Array<{ name: string; constraints: Array<string | null> }>>();
  for (const entry of packages.values()) byDir.set(entry.dir, [...(byDir.get(entry.dir) ?? []), entry]);
  const out: { path: string; content: string }[] = [];
  for (const [dir, entries] of byDir) {
    // The package with the most instrumented files gets the plain name; another (rare) gets its own.
    entries.sort((a, b) => b.constraints.length - a.constraints.length || a.name.localeCompare(b.name));
    entries.forEach((entry, i) => {
      const fileName = i === 0 ? GO_RUNTIME_FILE : GO_RUNTIME_FILE.replace(/\.go$/, `_${entry.name}_pkg.go`);
      const path = dir === '.' ? fileName : `${dir}/${fileName}`;
      out.push({ path, content: goRuntimeSource(entry.name, unionConstraint(entry.constraints)) });
    });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export const support: LanguageSupport = {
  language: 'go',
  extensions: ['.go'],
  grammar: 'go',
  isTestFile: isGoTestFile,
  analyze,
  insertion,
  prelude: () => [],
  runtimeFiles,
  marker: GO_MARKER,
  plainAnalysis: true,
};
