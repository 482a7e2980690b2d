/**
 * The Rust module's analysis, insertion requests, prelude and runtime files, without a toolchain
 * (rust-build.test.ts builds and runs the results).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../../src/check/parsers.js';
import type { FileContext } from '../../../src/workflows/instrument/language.js';
import { supportFor } from '../../../src/workflows/instrument/languages/index.js';
import type { RustFunctionSite } from '../../../src/workflows/instrument/languages/rust-analysis.js';
import { RUST_RUNTIME_SOURCE } from '../../../src/workflows/instrument/languages/rust-runtime.js';
import {
  isRustTestFile,
  runtimePathFrom,
  rustString,
  support,
} from '../../../src/workflows/instrument/languages/rust.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sbx-rust-analysis-'));
  await mkdir(join(root, 'crates/app/src/bin'), { recursive: true });
  await writeFile(join(root, 'crates/app/Cargo.toml'), '[package]\nname = "app"\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function context(source: string, relPath = 'src/lib.rs'): Promise<FileContext> {
  const parsed = await parse('rust', source);
  if (!parsed.ok) throw new Error(parsed.message);
  expect(parsed.root.hasError).toBe(false);
  return { relPath, source, analysis: support.analyze(parsed.root, source, relPath), treeRoot: root };
}

/** Applies every function's insertion edits and the prelude (bottom-up, bytes) as the core does. */
function instrument(file: FileContext): string {
  let bytes = Buffer.from(file.source, 'utf8');
  const instrumented = file.analysis.functions.filter((fn) => !('skip' in support.insertion(fn, file)));
  const edits = file.analysis.functions.flatMap((fn) => {
    const request = support.insertion(fn, file);
    if ('skip' in request) return [];
    return request.edits.map((edit) => {
      const at = fn.span.start.byte + edit.at;
      expect(bytes.subarray(at, at + Buffer.byteLength(edit.expect)).toString('utf8')).toBe(edit.expect);
      return { ...edit, at };
    });
  });
  const all = [...support.prelude(file, instrumented), ...edits];
  for (const edit of all.sort((a, b) => b.at - a.at))
    bytes = Buffer.concat([
      bytes.subarray(0, edit.at),
      Buffer.from(edit.insert),
      bytes.subarray(edit.at + edit.delete),
    ]);
  return bytes.toString('utf8');
}

const SOURCE = `//! Ünïcode in a comment shifts bytes against UTF-16 indices.
use std::fmt;

pub struct Stack<T> { items: Vec<T> }
pub struct Wrapper<T>(T);

impl<T: Clone> Stack<T> {
    pub fn push(&mut self, x: T) { self.items.push(x) }
    pub const fn empty() -> usize { 0 }
    pub async fn pop_async(&mut self) -> Option<T> { self.items.pop() }
}

impl<'a, T> fmt::Display for &'a Wrapper<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "w") }
}

pub trait Named {
    fn name(&self) -> String;
    fn greet(&self) -> String { format!("hi {}", self.name()) }
}

static TWICE: fn(i32) -> i32 = |x| x * 2;

pub fn parse(text: &str, (a, b): (u8, u8)) -> Result<i32, std::num::ParseIntError> {
    #![allow(unused_variables)]
    let n: i32 = text.parse()?;
    let add = |y: i32| { let z = y + 1; z };
    let outer = move |k| move |j: i32| k + j;
    if n < 0 {
        return Ok(0);
    }
    if n > 1000 {
        panic!("too big");
    }
    fn helper() -> u8 { 1 }
    for _ in 0..2 {}
    Ok(add(n) + outer(1)(2) + TWICE(1))
}

pub mod inner {
    pub fn f() {}
    pub mod deeper {
        pub fn g() -> u8 { 1 }
    }
}

extern "C" {
    fn abs(x: i32) -> i32;
}

macro_rules! make { () => { fn in_macro() {} } }

#[cfg(test)]
mod tests {
    #[test]
    fn works() { let c = || 1; }
}

#[cfg(not(test))]
fn not_test() {}

#[test]
fn loose_test() {}

pub const fn square(x: u32) -> u32 { let f = |y: u32| y; x * x }
// the end
`;

describe('rust analysis', () => {
  it('is registered for .rs files with the rust grammar', () => {
    expect(supportFor('rust')).toBe(support);
    expect(support.extensions).toEqual(['.rs']);
    expect(support.grammar).toBe('rust');
    expect(RUST_RUNTIME_SOURCE).not.toContain(support.marker); // the runtime itself is never "instrumented"
  });

  it('names functions, methods and closures as rustc does, with skip reasons', async () => {
    const file = await context(SOURCE);
    const sites = file.analysis.functions.map((fn) => [fn.qualifiedName, fn.kind, fn.skip]);
    expect(sites).toEqual([
      ['Stack::push', 'method', null],
      ['Stack::empty', 'method', 'const fn (evaluated at compile time: cannot call the runtime)'],
      ['Stack::pop_async', 'method', null],
      ["<&'a Wrapper as fmt::Display>::fmt", 'method', null],
      ['Named::greet', 'method', null],
      ['TWICE::{closure#0}', 'closure', null],
      ['parse', 'function', null],
      ['parse::{closure#0}', 'closure', null],
      ['parse::{closure#1}', 'closure', null],
      ['parse::{closure#1}::{closure#0}', 'closure', null],
      ['parse::helper', 'function', null],
      ['inner::f', 'function', null],
      ['inner::deeper::g', 'function', null],
      ['abs', 'function', 'extern block item (declared here, defined in foreign code)'],
      ['tests::works', 'function', 'test code (#[cfg(test)])'],
      ['tests::works::{closure#0}', 'closure', 'test code (#[cfg(test)])'],
      ['not_test', 'function', null],
      ['loose_test', 'function', 'test function (#[test] / #[bench])'],
      ['square', 'function', 'const fn (evaluated at compile time: cannot call the runtime)'],
      ['square::{closure#0}', 'closure', 'inside a const fn (evaluated at compile time)'],
    ]);
    const byName = new Map(file.analysis.functions.map((fn) => [fn.qualifiedName, fn as RustFunctionSite]));
    const parseFn = byName.get('parse');
    expect(parseFn?.params).toEqual(['text', '(a, b)']);
    expect(parseFn?.span.start).toEqual({ line: 24, column: 0, byte: SOURCE.indexOf('pub fn parse') + 2 });
    expect(parseFn?.exits.map((e) => `${e.kind}@${e.span.start.line}`)).toEqual([
      'return@26',
      'return@30',
      'throw@33',
      'implicit@38',
    ]);
    expect(byName.get('Stack::pop_async')?.async).toBe(true);
    expect(byName.get('Stack::push')?.params).toEqual(['self', 'x']);
    expect(byName.get('inner::deeper::g')?.modDepth).toBe(2);
    expect(byName.get('TWICE::{closure#0}')?.body).toBeNull(); // expression body
    expect(file.analysis.loops.map((l) => l.kind)).toEqual(['for']);
    expect(file.analysis.variables.map((v) => v.name)).toEqual(['n', 'add', 'z', 'outer', 'c', 'f']);
  });

  it('inserts on existing lines: after `{` and inner attributes, expression closures wrapped', async () => {
    const file = await context(SOURCE);
    const out = instrument(file);
    expect(out.split('\n')).toHaveLength(SOURCE.split('\n').length);
    const lines = out.split('\n');
    const at = (n: number): string => lines[n - 1] ?? '';
    expect(at(8)).toBe(
      '    pub fn push(&mut self, x: T) { let __sbx_g = scriptbox_telemetry::enter("Stack::push", "src/lib.rs", 8); self.items.push(x) }',
    );
    expect(at(14)).toContain("fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { let __sbx_g = ");
    expect(at(14)).toContain('enter("<&\'a Wrapper as fmt::Display>::fmt", "src/lib.rs", 14);');
    expect(at(22)).toBe(
      'static TWICE: fn(i32) -> i32 = |x| { let __sbx_g = scriptbox_telemetry::enter("TWICE::{closure#0}", "src/lib.rs", 22); x * 2 };',
    );
    expect(at(24)).toMatch(/\{$/); // the body's statements start after the inner attribute
    expect(at(25)).toBe(
      '    #![allow(unused_variables)] let __sbx_g = scriptbox_telemetry::enter("parse", "src/lib.rs", 24);',
    );
    expect(at(28)).toBe(
      '    let outer = move |k| { let __sbx_g = scriptbox_telemetry::enter("parse::{closure#1}", "src/lib.rs", 28); ' +
        'move |j: i32| { let __sbx_g = scriptbox_telemetry::enter("parse::{closure#1}::{closure#0}", "src/lib.rs", 28); k + j } };',
    );
    expect(at(43)).toBe(
      '        pub fn g() -> u8 { let __sbx_g = super::super::scriptbox_telemetry::enter("inner::deeper::g", "src/lib.rs", 43); 1 }',
    );
    expect(at(41)).toContain('pub fn f() { let __sbx_g = super::scriptbox_telemetry::enter("inner::f"');
    // The module line goes after the last item, before the trailing comment; the tree has no Cargo.toml.
    expect(at(65)).toMatch(/x \* x \} #\[path = "\.\.\/scriptbox_telemetry\.rs"\] mod scriptbox_telemetry;$/);
    expect(at(66)).toBe('// the end');
    expect(out).not.toContain('in_macro() { let');
    expect(out.split(support.marker).length - 1).toBe(13);
  });

  it('finds the runtime at the Cargo package root, from src/bin and nested modules alike', async () => {
    expect(runtimePathFrom('crates/app/src/bin/tool.rs', root)).toBe('../../scriptbox_telemetry.rs');
    expect(runtimePathFrom('crates/app/src/a/b.rs', root)).toBe('../../scriptbox_telemetry.rs');
    expect(runtimePathFrom('crates/app/build.rs', root)).toBe('scriptbox_telemetry.rs');
    expect(runtimePathFrom('loose/x.rs', root)).toBe('../scriptbox_telemetry.rs'); // no package: tree root
    const source = 'fn main() { run() } // done\nfn run() {}\n';
    const files = [
      await context(source, 'crates/app/src/bin/tool.rs'),
      await context(source, 'crates/app/src/main.rs'),
      await context(source, 'loose/x.rs'),
    ];
    const instrumented = files.map((file) => ({ ...file, source: instrument(file) }));
    expect(instrumented[0]?.source).toBe(
      'fn main() { let __sbx_g = scriptbox_telemetry::enter("main", "crates/app/src/bin/tool.rs", 1); run() } // done\n' +
        'fn run() { let __sbx_g = scriptbox_telemetry::enter("run", "crates/app/src/bin/tool.rs", 2); } ' +
        '#[path = "../../scriptbox_telemetry.rs"] mod scriptbox_telemetry;\n',
    );
    expect(support.runtimeFiles(instrumented)).toEqual([
      { path: 'crates/app/scriptbox_telemetry.rs', content: RUST_RUNTIME_SOURCE },
      { path: 'scriptbox_telemetry.rs', content: RUST_RUNTIME_SOURCE },
    ]);
  });

  it('skips build scripts, naked functions and global allocators, with the reason', async () => {
    const build = await context(
      'fn main() { println!("cargo:rerun-if-changed=x"); }\n',
      'crates/app/build.rs',
    );
    expect(build.analysis.functions.map((fn) => fn.skip)).toEqual([
      'build script (build.rs runs inside cargo at build time, not in the program)',
    ]);
    const alloc = await context(`use std::alloc::{GlobalAlloc, Layout, System};
struct A;
unsafe impl GlobalAlloc for A {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 { System.alloc(l) }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) { System.dealloc(p, l) }
}
impl A { fn plain(&self) {} }
#[naked]
unsafe extern "C" fn raw() {}
`);
    expect(alloc.analysis.functions.map((fn) => [fn.qualifiedName, fn.skip])).toEqual([
      ['<A as GlobalAlloc>::alloc', 'global allocator method (the runtime allocates)'],
      ['<A as GlobalAlloc>::dealloc', 'global allocator method (the runtime allocates)'],
      ['A::plain', null],
      ['raw', '#[naked] function (no Rust code allowed in its body)'],
    ]);
  });

  it('tells test files and escapes strings for Rust', () => {
    for (const path of [
      'tests/it.rs',
      'crates/a/tests/common/mod.rs',
      'benches/b.rs',
      'src/tests.rs',
      'src/parse_test.rs',
    ])
      expect(isRustTestFile(path), path).toBe(true);
    for (const path of ['src/lib.rs', 'src/testing.rs', 'examples/demo.rs', 'src/bin/tests_tool.rs'])
      expect(isRustTestFile(path), path).toBe(false);
    expect(rustString('a"b\\c\nd{é}')).toBe('"a\\"b\\\\c\\u{a}d{é}"');
  });

  it('puts the module line on a new last line when the file has no item, and keeps CRLF files whole', async () => {
    const file = await context('// only a comment');
    expect(support.prelude(file, [])).toEqual([]);
    const crlf = await context('fn a() {\r\n    1;\r\n}\r\n');
    const out = instrument(crlf);
    expect(out).toBe(
      'fn a() { let __sbx_g = scriptbox_telemetry::enter("a", "src/lib.rs", 1);\r\n    1;\r\n} #[path = "../scriptbox_telemetry.rs"] mod scriptbox_telemetry;\r\n',
    );
  });
});
