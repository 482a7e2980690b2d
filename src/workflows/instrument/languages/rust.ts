/**
 * Rust: every function, method and closure gets one statement on its body's `{` line, right after the `{`
 * (and after inner attributes such as `#![allow(...)]`, which must come first):
 * `let __sbx_g = scriptbox_telemetry::enter("q", "file.rs", L);` — a guard whose `Drop` records the
 * exit, or an error when the call is unwinding from a panic. Drop runs however the function ends (tail
 * expression, `return`, `?`, `break` out of a labelled block, a panic under panic=unwind), so every call
 * that ran emits one enter and exactly one exit or error. Async fns: the guard lives in the future, so the
 * enter is at the first poll and the exit when the body completes or the unfinished future is dropped.
 * Closures with an expression body become block bodies on the same lines
 * (`|x| { let __sbx_g = ...; x + 1 }`). Nothing moves to another line, so panic locations, backtraces
 * and compiler messages keep the user's lines (rustfmt style is not kept on those lines).
 *
 * The runtime (rust-runtime.ts) is one file per Cargo package, and each instrumented file declares it as
 * its own private module, appended after the file's last item on that item's last line:
 * `#[path = "../scriptbox_telemetry.rs"] mod scriptbox_telemetry;` — no crate root has to be found or
 * edited (a `lib.rs` made only of `mod` lines has no function to carry it), `src/bin/*.rs` and examples
 * work alike, and calls reach it by a relative path (`scriptbox_telemetry::enter`, with one `super::` per inline
 * module around the function), which resolves the same in every edition. The price: one copy of the small runtime per instrumented file
 * (each opens the telemetry file once, on its first call with telemetry on).
 *
 * Not instrumented, and why: test files (`tests/` and `benches/` directories, `tests.rs`, `test.rs`,
 * `*_test(s).rs`), `#[cfg(test)]` items and modules, `#[test]`/`#[bench]` functions (tests stay as they
 * are); `const fn` and closures inside them (evaluated at compile time: cannot call the runtime); extern
 * block items (declared here, defined in foreign code); `#[naked]` functions (no Rust code allowed);
 * methods of a `GlobalAlloc` impl (the runtime allocates: it would recurse); `build.rs` (runs inside
 * cargo at build time); trait method declarations without a default body (no code). Functions written
 * inside macros (`macro_rules!` bodies, `foo! { fn ... }` invocations) are token trees to the parser, not
 * functions: not seen at all. Known limits: `std::process::exit`, `panic = "abort"` and aborts end the
 * process without running drops (the enters on the stack have no matching event); threads still running
 * when `main` returns are killed the same way. The runtime needs `std`: a `#![no_std]` crate builds when
 * its target has std (as for its tests), not on bare-metal targets.
 */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Edit, FunctionSite } from '../model.js';
import type { FileContext, InsertionRequest, LanguageSupport } from '../language.js';
import { analyzeRust, type RustFileAnalysis, type RustFunctionSite } from './rust-analysis.js';
import { RUST_RUNTIME_FILE, RUST_RUNTIME_SOURCE } from './rust-runtime.js';

/** Present in every instrumented Rust file (the inserted calls); not in the runtime file itself. */
export const RUST_MARKER = 'scriptbox_telemetry::enter(';

/** The module name every instrumented file declares. */
const MODULE = 'scriptbox_telemetry';

export function isRustTestFile(relPath: string): boolean {
  const parts = relPath.split('/');
  const name = parts[parts.length - 1] ?? '';
  return (
    parts.slice(0, -1).some((dir) => dir === 'tests' || dir === 'benches') ||
    /^(tests?|.*_tests?)\.rs$/.test(name)
  );
}

/** A Rust string literal: `\` and `"` escaped, control characters as `\u{..}`. */
export function rustString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The statement inserted at the start of a function body. */
export function rustEnterStatement(fn: FunctionSite, relPath: string, modDepth: number): string {
  // Bare at the top (`self::` would trip `unused_qualifications`), `super::` once per inline module.
  const path = 'super::'.repeat(modDepth);
  return `let __sbx_g = ${path}${MODULE}::enter(${rustString(fn.qualifiedName)}, ${rustString(relPath)}, ${fn.span.start.line});`;
}

/** UTF-8 bytes of the last source asked about (insertion is called once per function of the same file). */
let cached: { source: string; bytes: Buffer } | undefined;
function bytesOf(source: string): Buffer {
  if (cached?.source !== source) cached = { source, bytes: Buffer.from(source, 'utf8') };
  return cached.bytes;
}

/** Up to 16 bytes from `at` to the end of its line (whole UTF-8 characters): the anchor of an edit there. */
function anchorAt(bytes: Buffer, at: number, limit: number): string {
  let end = at;
  while (end < limit && end - at < 16 && (end === at || bytes[end - 1] !== 0x0a)) end++;
  if (end > at && bytes[end - 1] !== 0x0a) while (end > at && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(at, end).toString('utf8');
}

function insertion(site: FunctionSite, file: FileContext): InsertionRequest | { skip: string } {
  const fn = site as RustFunctionSite;
  if (fn.skip !== null) return { skip: fn.skip };
  const bytes = bytesOf(file.source);
  const start = fn.span.start.byte;
  const end = fn.span.end.byte;
  const statement = rustEnterStatement(fn, file.relPath, fn.modDepth ?? 0);
  const signature = bytes.subarray(start, fn.body?.start.byte ?? start).toString('utf8');
  if (fn.insertAt !== null && fn.insertAt !== undefined) {
    const at = fn.insertAt;
    const next = bytes[at];
    const spaced = next === 0x0a || next === 0x0d || next === 0x20 || next === 0x09;
    const insert = ` ${statement}${spaced ? '' : ' '}`;
    return { edits: [{ at: at - start, delete: 0, insert, expect: anchorAt(bytes, at, end) }], signature };
  }
  if (fn.expression === null || fn.expression === undefined) return { skip: 'no block body' };
  // An expression-bodied closure: `|x| expr` → `|x| { let __sbx_g = ...; expr }`, on the same lines.
  const [bodyStart, bodyEnd] = fn.expression;
  return {
    edits: [
      {
        at: bodyStart - start,
        delete: 0,
        insert: `{ ${statement} `,
        expect: anchorAt(bytes, bodyStart, end),
      },
      { at: bodyEnd - start, delete: 0, insert: ' }', expect: '' },
    ],
    signature: bytes.subarray(start, bodyStart).toString('utf8'),
  };
}

/** The directory (relative to the tree root, '' for the root) of a file's Cargo package, or the tree root. */
export function runtimeDirOf(relPath: string, treeRoot: string): string {
  const parent = posix.dirname(relPath);
  for (let dir = parent === '.' ? '' : parent; dir !== ''; dir = dir.includes('/') ? posix.dirname(dir) : '')
    if (existsSync(join(treeRoot, dir, 'Cargo.toml'))) return dir;
  return '';
}

/** `#[path]` from the file's directory to its runtime file (posix, relative). */
export function runtimePathFrom(relPath: string, treeRoot: string): string {
  const dir = posix.dirname(relPath);
  const target = posix.join(runtimeDirOf(relPath, treeRoot), RUST_RUNTIME_FILE);
  return posix.relative(dir, target);
}

/** After the file's last item (comments skipped), on that item's last line: the module declaration. */
function prelude(file: FileContext, instrumented: FunctionSite[]): Edit[] {
  if (instrumented.length === 0) return [];
  const bytes = bytesOf(file.source);
  const declaration = `#[path = ${rustString(runtimePathFrom(file.relPath, file.treeRoot))}] mod ${MODULE};`;
  const end = (file.analysis as RustFileAnalysis).lastItemEnd ?? null;
  if (end === null) {
    const newline = bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? '\n' : '';
    return [{ at: bytes.length, delete: 0, insert: `${newline}${declaration}\n` }];
  }
  return [{ at: end, delete: 0, insert: ` ${declaration}` }];
}

/** One runtime file per Cargo package (or tree root) with instrumented files. */
function runtimeFiles(files: FileContext[]): { path: string; content: string }[] {
  const paths = new Set<string>();
  for (const file of files) {
    if (isRustTestFile(file.relPath) || !file.source.includes(RUST_MARKER)) continue;
    paths.add(posix.join(runtimeDirOf(file.relPath, file.treeRoot), RUST_RUNTIME_FILE));
  }
  return [...paths].sort().map((path) => ({ path, content: RUST_RUNTIME_SOURCE }));
}

export const support: LanguageSupport = {
  language: 'rust',
  extensions: ['.rs'],
  grammar: 'rust',
  isTestFile: isRustTestFile,
  analyze: analyzeRust,
  insertion,
  prelude,
  runtimeFiles,
  marker: RUST_MARKER,
  plainAnalysis: true,
};
