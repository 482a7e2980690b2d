/**
 * Ruby: every line stays where it is. After a def's signature (on its line, `;`-separated) an enter and a
 * `begin` open a wrapper around the whole body; before the def's closing `end` (on its line) it closes:
 *
 *   def m(a); __sbx_t = ($__sbx_rt ||= (require_relative('../scriptbox_telemetry'); ::ScriptboxTelemetry))
 *     .enter(:'C#m', :'lib/c.rb', 3); begin;                               <- all on the def's line
 *     ...body...
 *   ; rescue ::Exception; __sbx_t.error; ::Kernel.raise; ensure; __sbx_t.exit; end; end
 *
 * A body with its own rescue / else / ensure clauses gets a nested `begin ... end` around it (the clauses
 * keep their meaning, `retry` re-runs the body without a second enter). `error` then `raise` (re-raising
 * the same exception object, its backtrace untouched) on any exception; `exit` in the `ensure` covers
 * returns, `return` from inside blocks, `break` / `next` / `throw` and falling off the end (a no-op after
 * `error`). So every call gives one enter and exactly one exit or error, and backtraces keep the user's
 * line numbers (a `begin` adds no frame). The runtime (ruby-runtime.ts, `scriptbox_telemetry.rb` at the
 * tree root) is loaded lazily by the enter expression through `require_relative` (no `require` line).
 * Cost with telemetry off: a global read, two calls that do nothing and the begin/ensure, about 0.15 µs
 * per call on this (noisy, 2-core) machine (fib(25): 40-80 ns per call plain, 190-250 ns instrumented); on,
 * about 15 µs per call (two write(2) calls).
 *
 * Sites: methods (`C#m`), constructors, singleton methods (`def self.m`, `def Const.m`, `class << self`:
 * `C.m`), methods of modules (`M#m`), top-level defs (`m`), endless methods (`def m = expr` becomes
 * `def m = (enter; begin; expr; rescue ...; ensure ...; end)`), do...end blocks (`C#m.block1`; Ruby runs a
 * block per yield, so each run of the block is a call), `->` lambdas (`C#m.lambda1`), brace blocks of
 * `lambda` / `proc` / `Proc.new` / `Thread.new` / `Fiber.new` / `define_method` (the last named `C#name`).
 * Blocks share their scope's locals, so a block's variable is `__sbx_b<depth>` (its nesting level), never
 * the enclosing def's `__sbx_t` nor an enclosing block's; that keeps each run's call object its own, also
 * across threads.
 *
 * Not instrumented: brace blocks given to ordinary methods (`map { |x| x * 2 }`: the one-expression
 * iterator style, like lambdas elsewhere; reported as skipped), test files (test/, spec/, *_test.rb,
 * *_spec.rb, test_*.rb), methods made without a def (attr_accessor, alias, Struct members, method_missing
 * dispatch: there is no source body), `BEGIN { }` / `END { }`. Known limits: `exit!` and a killed process
 * run no `ensure` (the enter has no end); `exit` is an exception in Ruby (SystemExit), so the functions it
 * unwinds record `error`; a Fiber or external Enumerator left suspended never ends its calls; a stack
 * overflow may lose the error events of the frames it unwinds; `local_variables` / `binding` show the
 * wrapper's `__sbx_t` / `__sbx_b<n>` (and `global_variables` the runtime's `$__sbx_rt`); a `Timeout` that
 * unwinds with `throw` (Ruby 3.1's timeout) records `exit`; `redo` in a block records an exit and a new
 * enter; Ractors other than the main one cannot use the runtime.
 */
import { posix } from 'node:path';
import type { FileContext, InsertionRequest, LanguageSupport } from '../language.js';
import { SourceMap, type FunctionSite } from '../model.js';
import { analyzeRuby, wrapOf, type RubyWrap } from './ruby-analysis.js';
import { RUBY_MARKER, RUBY_RUNTIME, RUBY_RUNTIME_FILE } from './ruby-runtime.js';

export function isRubyTestFile(relPath: string): boolean {
  return (
    /(^|\/)(test|tests|spec)\//.test(relPath) || /(^|\/)([^/]*_(test|spec)|test_[^/]*)\.rb$/.test(relPath)
  );
}

/** A single-quoted Ruby string (`'...'`) or symbol (`:'...'`) literal: no interpolation, `\\` and `\'` only. */
const rubyQuoted = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/**
 * The enter expression's assignment for `fn` in the file `relPath` (the runtime at the tree root). The
 * runtime module is kept in the global `$__sbx_rt` (a global read is the cheapest check) and the names are
 * symbols (no string allocated per call, frozen-string-literal or not).
 */
export function rubyEnter(variable: string, fn: FunctionSite, relPath: string): string {
  const runtime = posix.relative(posix.dirname(relPath), RUBY_RUNTIME_FILE.replace(/\.rb$/, ''));
  return (
    `${variable} = ($__sbx_rt ||= (require_relative(${rubyQuoted(runtime)}); ${RUBY_MARKER}))` +
    `.enter(:${rubyQuoted(fn.qualifiedName)}, :${rubyQuoted(relPath)}, ${fn.span.start.line})`
  );
}

/** The opening and closing texts of a wrapper. */
export function rubyWrapTexts(
  wrap: RubyWrap,
  enter: string,
  variable: string,
): { open: string; close: string } {
  const handlers = `rescue ::Exception; ${variable}.error; ::Kernel.raise; ensure; ${variable}.exit; end`;
  if (wrap.form === 'endless') return { open: `(${enter}; begin; `, close: `; ${handlers})` };
  const inner = wrap.clauses ? ' begin;' : '';
  const innerEnd = wrap.clauses ? ' end;' : '';
  return { open: `; ${enter}; begin;${inner}`, close: `;${innerEnd} ${handlers}; ` };
}

/** The last source asked about: its bytes and string-index → byte map (insertion is called per function). */
let cached: { source: string; bytes: Buffer; map: SourceMap } | undefined;
function fileOf(source: string): { bytes: Buffer; map: SourceMap } {
  if (cached?.source !== source)
    cached = { source, bytes: Buffer.from(source, 'utf8'), map: new SourceMap(source) };
  return cached;
}

/** The anchor at byte `at`: up to 16 bytes, not past a newline, not splitting a UTF-8 sequence. */
function anchorAt(bytes: Buffer, at: number, limit: number): string {
  let end = at;
  while (end < limit && end - at < 16 && bytes[end] !== 0x0a) end++;
  if (end < limit && bytes[end] === 0x0a && end - at < 16) end++;
  while (end > at && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(at, end).toString('utf8');
}

function insertion(fn: FunctionSite, file: FileContext): InsertionRequest | { skip: string } {
  if (fn.skip !== null) return { skip: fn.skip };
  const wrap = wrapOf(fn);
  if (wrap === undefined) return { skip: 'not analysed by the Ruby module' };
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f]/.test(fn.qualifiedName + file.relPath))
    return { skip: 'control characters in the name or path (the inserted literal must stay on one line)' };
  const { bytes, map } = fileOf(file.source);
  const base = fn.span.start.byte;
  const limit = fn.span.end.byte;
  const open = map.position(wrap.open).byte;
  const close = map.position(wrap.close).byte;
  const variable = wrap.depth === 0 ? '__sbx_t' : `__sbx_b${wrap.depth}`;
  const texts = rubyWrapTexts(wrap, rubyEnter(variable, fn, file.relPath), variable);
  let closeExpect: string;
  if (wrap.form === 'endless') closeExpect = anchorAt(bytes, close, limit);
  else {
    closeExpect = bytes.subarray(close, close + 3).toString('utf8');
    if (closeExpect.startsWith('}')) closeExpect = '}';
    if (closeExpect !== 'end' && closeExpect !== '}') return { skip: 'no closing end or }' };
  }
  return {
    edits: [
      { at: open - base, delete: 0, insert: texts.open, expect: anchorAt(bytes, open, limit) },
      { at: close - base, delete: 0, insert: texts.close, expect: closeExpect },
    ],
    signature: bytes.subarray(base, open).toString('utf8'),
  };
}

function runtimeFiles(files: FileContext[]): { path: string; content: string }[] {
  const used = files.some((file) => file.analysis.functions.some((fn) => fn.skip === null));
  return used ? [{ path: RUBY_RUNTIME_FILE, content: RUBY_RUNTIME }] : [];
}

export const support: LanguageSupport = {
  language: 'ruby',
  extensions: ['.rb'],
  grammar: 'ruby',
  isTestFile: isRubyTestFile,
  analyze: analyzeRuby,
  insertion,
  prelude: () => [],
  runtimeFiles,
  marker: RUBY_MARKER,
};
