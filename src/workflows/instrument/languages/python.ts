/**
 * Python: a decorator line `@__sbx__.trace("qualname", defLine, shift[, (nestedDefLines,)])` directly above
 * each `def` (below the user's decorators) and one prelude line binding `__sbx__` to the runtime, loaded by
 * path from the file's own directory (after the docstring and `from __future__` imports). The runtime
 * (runtimes/python.ts) fixes the line tables so tracebacks inside functions show the original lines.
 * `shift` is the number of lines inserted above the def (the prelude, the decorators of earlier functions
 * and its own); `nestedDefLines` the original lines of instrumented defs inside the body (their decorator
 * lines shift what follows them). Module-level and class-body statements below inserted lines shift.
 * Not instrumented: lambdas (one expression, no statement position for a decorator line) and functions
 * with syntax errors. The name is `__sbx__` (a dunder) because `__sbx` in a class body would be mangled.
 */
import type { FileContext, InsertionRequest, LanguageSupport } from '../language.js';
import { byteLength, type Edit, type FunctionSite } from '../model.js';
import { PYTHON_RUNTIME, PYTHON_RUNTIME_FILE, PYTHON_RUNTIME_KEY } from '../runtimes/python.js';
import { analyzePython } from './python-analysis.js';

/** The prelude statement for one file (one line; `rel` is the path reported in events). */
export function pythonPrelude(rel: string): string {
  const path = `__import__("os").path.join(__import__("os").path.dirname(__file__), "${PYTHON_RUNTIME_FILE}")`;
  const load =
    `(lambda s, k, u: s.modules.get(k) or (lambda m: m.__spec__.loader.exec_module(m) or ` +
    `s.modules.setdefault(k, m))(u.module_from_spec(u.spec_from_file_location(k, ${path}))))` +
    `(__import__("sys"), "${PYTHON_RUNTIME_KEY}", __import__("importlib.util").util)`;
  return `__sbx__ = ${load}.bind(__file__, ${JSON.stringify(rel)})`;
}

const instrumentable = (fn: FunctionSite): boolean => fn.skip === null;

/** The decorator line's text (without indentation and line end) for `fn` among the file's functions. */
export function decoratorFor(fn: FunctionSite, functions: readonly FunctionSite[]): string {
  const line = fn.span.start.line;
  const above = functions.filter((f) => instrumentable(f) && f.span.start.line < line).length;
  const shift = 1 + above + 1; // the prelude, earlier decorators, its own
  const nested = fn.body
    ? functions
        .filter((f) => instrumentable(f) && f !== fn && f.span.start.byte >= fn.body!.start.byte)
        .filter((f) => f.span.end.byte <= fn.body!.end.byte)
        .map((f) => f.span.start.line)
    : [];
  const extra = nested.length > 0 ? `, (${nested.join(', ')},)` : '';
  return `@__sbx__.trace(${JSON.stringify(fn.qualifiedName)}, ${line}, ${shift}${extra})`;
}

/** The file's UTF-8 bytes, kept for the last file asked about (insertion() is called per function). */
let lastSource: string | undefined;
let lastBytes: Buffer = Buffer.alloc(0);
function bytesOf(source: string): Buffer {
  if (source !== lastSource) {
    lastSource = source;
    lastBytes = Buffer.from(source, 'utf8');
  }
  return lastBytes;
}

/** The text of a byte range of the file. */
function slice(source: string, from: number, to: number): string {
  return bytesOf(source).subarray(from, to).toString('utf8');
}

function insertion(fn: FunctionSite, file: FileContext): InsertionRequest | { skip: string } {
  if (fn.skip !== null) return { skip: fn.skip };
  const { start } = fn.span;
  const indent = slice(file.source, start.byte - start.column, start.byte);
  if (!/^[ \t]*$/.test(indent)) return { skip: 'the def does not start its line' };
  // The anchor: the def's first bytes, printable ASCII only (a name may be Unicode).
  const expect = /^[\x20-\x7e]*/.exec(slice(file.source, start.byte, start.byte + 16))?.[0] ?? 'def';
  const decorator = decoratorFor(fn, file.analysis.functions);
  return {
    edits: [{ at: 0, delete: 0, insert: `${decorator}\n${indent}`, expect }],
    signature: slice(file.source, fn.header.start.byte, fn.header.end.byte).trimEnd(),
  };
}

/**
 * Where the prelude goes: the start of the first line after the module docstring and `from __future__`
 * imports (and after a shebang / coding line when neither exists), as a string index. A small scanner, so
 * the prelude needs no tree (the statements it skips are at column 0 by definition).
 */
export function preludeIndex(source: string): number {
  let i = 0;
  let docstringAllowed = true;
  let after = 0;
  const n = source.length;
  const lineEnd = (at: number): number => {
    const e = source.indexOf('\n', at);
    return e < 0 ? n : e + 1;
  };
  for (;;) {
    while (i < n && /[ \t\f\r\n]/.test(source[i]!)) i++;
    if (i >= n) return after;
    if (source[i] === '#') {
      i = lineEnd(i);
      continue;
    }
    const quote = /^[rRuUbBfF]{0,2}("""|'''|"|')/.exec(source.slice(i, i + 5));
    if (docstringAllowed && quote) {
      i = skipString(source, i + quote[0].length, quote[1]!);
      i = lineEnd(i); // the rest of the docstring's line
      after = i;
      docstringAllowed = false;
      continue;
    }
    if (/^from[ \t]+__future__[ \t]+import\b/.test(source.slice(i, i + 40))) {
      let depth = 0;
      while (i < n) {
        const c = source[i]!;
        if (c === '(') depth++;
        else if (c === ')') depth--;
        else if (c === '\\' && source[i + 1] === '\n') i++;
        else if (c === '\n' && depth <= 0) break;
        i++;
      }
      i = Math.min(n, i + 1);
      after = i;
      docstringAllowed = false;
      continue;
    }
    // The statement that follows: insert at the start of its line.
    return Math.max(after, source.lastIndexOf('\n', i - 1) + 1);
  }
}

function skipString(source: string, i: number, quote: string): number {
  while (i < source.length) {
    if (source[i] === '\\') i += 2;
    else if (source.startsWith(quote, i)) return i + quote.length;
    else i++;
  }
  return i;
}

function prelude(file: FileContext, instrumented: FunctionSite[]): Edit[] {
  if (instrumented.length === 0) return [];
  const index = preludeIndex(file.source);
  // Newlines are '\n' here; the core matches them to the file's line endings.
  const needsBreak = index === file.source.length && index > 0 && !file.source.endsWith('\n');
  const text = `${needsBreak ? '\n' : ''}${pythonPrelude(file.relPath)}\n`;
  return [{ at: byteLength(file.source.slice(0, index)), delete: 0, insert: text }];
}

function runtimeFiles(files: FileContext[]): { path: string; content: string }[] {
  const dirs = new Set(files.map((f) => (f.relPath.includes('/') ? f.relPath.replace(/\/[^/]*$/, '/') : '')));
  return [...dirs].sort().map((dir) => ({ path: `${dir}${PYTHON_RUNTIME_FILE}`, content: PYTHON_RUNTIME }));
}

export const support: LanguageSupport = {
  language: 'python',
  extensions: ['.py'],
  grammar: 'python',
  isTestFile: (relPath) =>
    /(^|\/)(tests?|testing)\//.test(relPath) || /(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/.test(relPath),
  analyze: analyzePython,
  insertion,
  prelude,
  runtimeFiles,
  marker: PYTHON_RUNTIME_KEY,
  plainAnalysis: true,
};
