import { describe, it, expect } from 'vitest';
import vm from 'node:vm';
import { parse } from 'acorn';
import {
  prepareSource,
  type PrepareOutcome,
  type PreparedSource,
} from '../../src/sandbox/runtimes/prepare.js';
import type { RunError } from '../../src/engine/result.js';

function prepared(outcome: PrepareOutcome): PreparedSource {
  if (!outcome.ok) throw new Error(`expected ok, got ${outcome.error.message}`);
  return outcome.prepared;
}

function failed(outcome: PrepareOutcome): RunError {
  if (outcome.ok) throw new Error(`expected a failure, got ${outcome.prepared.fileName}`);
  return outcome.error;
}

const js = (source: string): PrepareOutcome => prepareSource('javascript', source);
const ts = (source: string): PrepareOutcome => prepareSource('typescript', source);

describe('prepareSource: javascript', () => {
  it('keeps a CommonJS script with require and top-level return as main.cjs, unchanged', () => {
    const source = "const fs = require('node:fs');\nif (!fs.existsSync('/')) return;\nconsole.log('hi');\n";
    expect(prepared(js(source))).toEqual({ code: source, fileName: 'main.cjs' });
  });

  it('picks main.mjs for import/export syntax', () => {
    expect(prepared(js("import fs from 'node:fs';\nconsole.log(fs.existsSync('/'));")).fileName).toBe(
      'main.mjs',
    );
    expect(prepared(js('export const x = 1;')).fileName).toBe('main.mjs');
    expect(prepared(js('console.log(import.meta.url);')).fileName).toBe('main.mjs');
  });

  it('picks main.mjs for top-level await, including forms that also parse as a script', () => {
    expect(prepared(js("const r = await fetch('https://example.com');")).fileName).toBe('main.mjs');
    expect(prepared(js('for await (const x of [1]) console.log(x);')).fileName).toBe('main.mjs');
    // As a script these are a call to a function named `await` and `await; foo()`.
    expect(prepared(js('const v = await (Promise.resolve(1));')).fileName).toBe('main.mjs');
    expect(prepared(js('const a = 1;\nawait\nfoo();')).fileName).toBe('main.mjs');
  });

  it('keeps main.cjs when `await` is only a property name, a label or inside a function', () => {
    expect(prepared(js("const x = require('x');\nx.await;\nconst o = { await: 1 };")).fileName).toBe(
      'main.cjs',
    );
    expect(prepared(js('await: for (;;) break await;')).fileName).toBe('main.cjs');
    expect(prepared(js('async function f() { await g(); }\nmodule.exports = f;')).fileName).toBe('main.cjs');
    // Valid only as a script: stays CommonJS even though `await` is an identifier at top level.
    expect(prepared(js('const await = 5;\nconsole.log(await);')).fileName).toBe('main.cjs');
  });

  it('accepts a shebang line', () => {
    const source = '#!/usr/bin/env node\nconsole.log(1);\n';
    expect(prepared(js(source))).toEqual({ code: source, fileName: 'main.cjs' });
    expect(prepared(js('#!/usr/bin/env node\nimport os from "node:os";')).fileName).toBe('main.mjs');
  });

  it('reports a syntax error with exact 1-based line and column', () => {
    const error = failed(js('const a = 1;\nconst b = 2;\nlet c = = 3;\n'));
    expect(error).toEqual({
      kind: 'syntax',
      message: 'SyntaxError: Unexpected token (line 3, column 9)',
      line: 3,
      column: 9,
    });
  });

  it('reports the module parse error when the file uses import syntax', () => {
    // The script parse fails at line 1 (the import); the real error is on line 4.
    const error = failed(js("import fs from 'node:fs';\n\nconst a = 1;\nconst b = ;\n"));
    expect(error).toMatchObject({ kind: 'syntax', line: 4, column: 11 });
    expect(error.message).not.toMatch(/sourceType/);
  });

  it('reports a strict-mode error before an import rather than the import itself', () => {
    const error = failed(js("with (Math) {}\nimport fs from 'node:fs';"));
    expect(error).toMatchObject({ line: 1, column: 1 });
    expect(error.message).toMatch(/'with' in strict mode/);
  });

  it('reports the module error for top-level await followed by a syntax error', () => {
    expect(failed(js('await 1;\nconst x = = 2;'))).toMatchObject({ line: 2, column: 11 });
  });

  it('otherwise reports the error of the parse that got further', () => {
    // The comment hides the `await` from the cheap intent check; the module parse gets to line 2.
    expect(failed(js('const r = await /* wait */ fetch(u);\nlet x = = 1;'))).toMatchObject({
      line: 2,
      column: 9,
    });
  });

  it('reports the script error for a CommonJS file with top-level return', () => {
    // The module parse would stop at the return on line 1.
    expect(failed(js('if (1) return;\nlet x = = 2;'))).toMatchObject({ line: 2, column: 9 });
  });

  it('counts columns in UTF-16 code units and U+2028 as a line break, like V8', () => {
    expect(failed(js("'😀'; x = = 1"))).toMatchObject({ line: 1, column: 11 });
    expect(failed(js('a;\u2028 x = = 1'))).toMatchObject({ line: 2, column: 6 });
  });

  it('returns ok:false instead of throwing for absurdly nested input', () => {
    expect(failed(js('('.repeat(100_000))).kind).toBe('syntax');
  });
});

describe('prepareSource: typescript', () => {
  it('strips annotations in place so later positions are unchanged', () => {
    const source = [
      'interface Person { name: string; age: number }',
      'function greet<T extends Person>(p: T): string { return p.name as string; }',
      "const people: Person[] = [{ name: 'Ada', age: 36 }];",
      'globalThis.result = people.map((p) => greet(p)).join();',
    ].join('\n');
    const { code, fileName } = prepared(ts(source));
    expect(fileName).toBe('main.cjs');
    expect(code).not.toMatch(/interface|: string|Person\[\]|as string/);
    expect(code.split('\n').map((l) => l.length)).toEqual(source.split('\n').map((l) => l.length));
    expect(code.indexOf('globalThis.result')).toBe(source.indexOf('globalThis.result'));
    expect(() => parse(code, { ecmaVersion: 'latest' })).not.toThrow();
    const context: { result?: unknown } = {};
    vm.runInNewContext(code, context);
    expect(context.result).toBe('Ada');
  });

  it('handles generics, as casts, satisfies, non-null, declare and abstract classes', () => {
    const source = [
      'type Pair<A, B> = [A, B];',
      'declare const hidden: number;',
      'abstract class Shape { abstract area(): number; protected label?: string; }',
      'class Sq extends Shape { area(): number { return 4; } }',
      'const cfg = { n: 3 } satisfies Record<string, number>;',
      'const pair: Pair<number, string> = [cfg.n!, String(new Sq().area() as unknown as number)];',
      'pair;',
    ].join('\n');
    const { code } = prepared(ts(source));
    // strip-only output: same lines, same lengths (no transform-mode reformatting)
    expect(code.split('\n').map((l) => l.length)).toEqual(source.split('\n').map((l) => l.length));
    expect(vm.runInNewContext(code, {})).toEqual([3, '4']);
  });

  it('falls back to transform mode for enums, namespaces and parameter properties', () => {
    const source = [
      'enum Color { Red, Green = 5, Blue }',
      'namespace Geo { export const zero = 0; }',
      'class P { constructor(public x: number) {} }',
      '[Color.Blue, Color[6], Geo.zero, new P(4).x];',
    ].join('\n');
    const { code, fileName } = prepared(ts(source));
    expect(fileName).toBe('main.cjs');
    expect(vm.runInNewContext(code, {})).toEqual([6, 'Blue', 0, 4]);
  });

  it('supports `import x = require()` and angle-bracket casts via the fallback', () => {
    const { code, fileName } = prepared(ts("import os = require('node:os');\nconst n = <number>(5);"));
    expect(fileName).toBe('main.cjs');
    expect(code).toMatch(/const os = require\('node:os'\)/);
  });

  it('picks main.mjs for TypeScript imports and main.cjs when only types were imported', () => {
    expect(prepared(ts("import fs from 'node:fs';\nconst x: number = 1;")).fileName).toBe('main.mjs');
    expect(prepared(ts("import type { X } from './x';\nconst a: X = 1;")).fileName).toBe('main.cjs');
    expect(prepared(ts('const v = await Promise.resolve(1 as number);')).fileName).toBe('main.mjs');
  });

  it('does not block on type errors', () => {
    expect(prepared(ts("const n: number = 'not a number';")).code).toBe("const n         = 'not a number';");
  });

  it('keeps a shebang line', () => {
    const { code } = prepared(ts('#!/usr/bin/env node\nconst a: number = 1;'));
    expect(code).toBe('#!/usr/bin/env node\nconst a         = 1;');
  });

  it('reports a TypeScript syntax error with exact line and column', () => {
    const error = failed(ts('const a: number = 1;\nconst b = 2;\nconst c: string = (;\n'));
    expect(error).toEqual({
      kind: 'syntax',
      message: 'SyntaxError: Expression expected (line 3, column 20)',
      line: 3,
      column: 20,
    });
    expect(failed(ts('const a = 1;\r\nconst c: string = (;'))).toMatchObject({ line: 2, column: 20 });
  });

  it('converts swc display columns (tabs, emoji, CJK) to UTF-16 columns', () => {
    // swc counts \t as 4, 😀 as 3 and 中 as 2; the `;` after `(` is UTF-16 column 38.
    expect(failed(ts("const s = '😀é中';\tconst c: string = (;"))).toMatchObject({ line: 1, column: 38 });
  });

  it('reports TypeScript syntax that neither mode supports, without throwing', () => {
    const error = failed(ts('const a = 1;\nmodule Foo {}'));
    expect(error).toMatchObject({ kind: 'syntax', line: 2, column: 1 });
    expect(error.message).toMatch(/`module` keyword is not supported/);
  });

  it('maps a JavaScript error in transform-mode output back to the TypeScript line', () => {
    const error = failed(ts("enum E { A }\nconst s = '😀'; let x = 1;\nlet x = 2;\n"));
    expect(error).toMatchObject({ kind: 'syntax', line: 3, column: 5 });
    expect(error.message).toMatch(/Identifier 'x' has already been declared/);
    // Same error after strip-only, where positions are preserved directly.
    expect(failed(ts('const a: number = 1;\nlet a = 2;'))).toMatchObject({ line: 2, column: 5 });
  });

  it('survives a swc wasm crash on deep nesting and keeps working afterwards', () => {
    const error = failed(ts(`x = ${'('.repeat(2000)}1${')'.repeat(2000)};`));
    expect(error.kind).toBe('syntax');
    expect(error.message).not.toMatch(/\/|\n/);
    expect(prepared(ts('const ok: number = 1;')).code).toBe('const ok         = 1;');
  });

  it('keeps host paths and stack traces out of error messages', () => {
    for (const outcome of [ts('let = ;'), ts('enum E { A }\nlet q = = 1;'), js('let = ;')]) {
      const { message } = failed(outcome);
      expect(message).not.toMatch(/node_modules|\/work|<anon>|\n\s+at /);
      expect(message.split('\n')).toHaveLength(1);
    }
  });
});
