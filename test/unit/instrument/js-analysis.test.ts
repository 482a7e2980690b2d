/**
 * The JavaScript and TypeScript instrumentation modules: analysis (qualified names, kinds, skips), the
 * edits (line numbers kept, directives and derived constructors), and real runs — the tricky fixtures'
 * drivers and the vendored lru_map project's own suite — before and after instrumentation, with the
 * telemetry events checked (one enter and exactly one exit or error per call).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { support as js } from '../../../src/workflows/instrument/languages/javascript.js';
import { CLOSE } from '../../../src/workflows/instrument/languages/js-common.js';
import { support as ts } from '../../../src/workflows/instrument/languages/typescript.js';
import { analyzeSource, instrumentSource, instrumentTreeLocally, readEvents, tally } from './js-helpers.js';

const REPO = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(REPO, 'test/fixtures/instrument');
const TSX = join(REPO, 'node_modules/.bin/tsx');
const TSC = join(REPO, 'node_modules/.bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'sbx-js-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(
  command: string,
  args: string[],
  cwd: string,
  telemetry?: string,
): { status: number; out: string } {
  const env = { ...process.env };
  delete env.SCRIPTBOX_TELEMETRY_FILE;
  if (telemetry !== undefined) env.SCRIPTBOX_TELEMETRY_FILE = telemetry;
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

const lines = (text: string): number => text.split('\n').length;

describe('analysis', () => {
  it('names functions Class.method, outer.inner, obj.m and <anonymous@L>, with kinds and flags', async () => {
    const source = [
      'class A extends B { constructor() { super() } static s() {} get x() { return 1 } #p() {} f = () => 1 }',
      'function outer() { function inner() {} return [1].map((v) => v) }',
      'const obj = { m() {}, k: function () {}, async *g() {} };',
      'C.prototype.run = function () {};',
      '(function () {})();',
      'export default function () {}',
    ].join('\n');
    const analysis = await analyzeSource(js, 'a.js', source);
    const byName = Object.fromEntries(analysis.functions.map((fn) => [fn.qualifiedName, fn]));
    expect(Object.keys(byName)).toEqual([
      'A.constructor',
      'A.s',
      'A.get x',
      'A.#p',
      'A.f',
      'outer',
      'outer.inner',
      'outer.<anonymous@2>',
      'obj.m',
      'obj.k',
      'obj.g',
      'C.run',
      '<anonymous@5>',
      'default',
    ]);
    expect(byName['A.constructor']?.kind).toBe('constructor');
    expect(byName['A.get x']?.kind).toBe('accessor');
    expect(byName['A.f']?.body).toBeNull();
    expect(byName['obj.g']).toMatchObject({ async: true, generator: true, kind: 'method' });
    expect(byName['outer']?.exits.map((exit) => exit.kind)).toEqual(['return']);
    expect(analysis.functions.every((fn) => fn.skip === null)).toBe(true);
  });

  it('skips TypeScript bodiless functions with the reason', async () => {
    const source = [
      'function f(a: number): void;',
      'function f(a: any) {}',
      'declare function d(): void;',
      'abstract class C { abstract m(): void; o(): void; o(x?: any) {} }',
      'interface I { m(): void }',
      'namespace N { export function g(): number { return 1 } }',
    ].join('\n');
    const analysis = await analyzeSource(ts, 'a.ts', source);
    const skips = analysis.functions.map((fn) => [fn.qualifiedName, fn.skip]);
    expect(skips).toEqual([
      ['f', 'overload signature (no body)'],
      ['f', null],
      ['d', 'ambient declaration (declare, no body)'],
      ['C.m', 'abstract method (no body)'],
      ['C.o', 'overload signature (no body)'],
      ['C.o', null],
      ['N.g', null],
    ]);
  });
});

describe('edits', () => {
  it('keeps every line where it was and binds the runtime once, after a shebang and directives', async () => {
    const source =
      "#!/usr/bin/env node\n'use strict';\nconst f = (x) =>\n  x * 2;\nfunction g() {\n  'use strict';\n  return 1;\n}\n";
    const result = await instrumentSource(js, 'bin/cli.js', source);
    expect(lines(result.text)).toBe(lines(source));
    const out = result.text.split('\n');
    expect(out[1]).toBe('\'use strict\';const __sbx=require("../scriptbox-telemetry.cjs");');
    expect(out[3]).toBe('  {const __sbxT=__sbx.enter("f","bin/cli.js",3);try{return (x * 2)' + CLOSE + '};');
    expect(out[5]).toBe('  \'use strict\';const __sbxT=__sbx.enter("g","bin/cli.js",5);try{');
    expect(result.text).toContain(js.marker);
  });

  it('binds with import in ES modules and in TypeScript (after triple-slash directives)', async () => {
    const esm = await instrumentSource(js, 'm.mjs', 'export function f() {}\n');
    expect(
      esm.text.startsWith('import * as __sbx from "./scriptbox-telemetry.cjs";export function f()'),
    ).toBe(true);
    const typed = await instrumentSource(
      ts,
      'src/a.ts',
      '/// <reference types="node" />\nexport const f = (): number => 1;\n',
    );
    expect(typed.text.split('\n')[1]).toMatch(
      /^import \* as __sbx from "\.\.\/scriptbox-telemetry\.cjs";export const f/,
    );
  });

  it('starts a TypeScript derived constructor after its root-level super() (TS2401), a JavaScript one before', async () => {
    const source =
      'class A extends B {\n  x = 1;\n  constructor() {\n    super(1);\n    this.x = 2;\n  }\n}\n';
    const typed = await instrumentSource(ts, 'a.ts', source);
    expect(typed.text.split('\n')[3]).toBe(
      '    super(1);const __sbxT=__sbx.enter("A.constructor","a.ts",3);try{',
    );
    const plain = await instrumentSource(js, 'a.js', source);
    expect(plain.text.split('\n')[2]).toBe(
      '  constructor() {const __sbxT=__sbx.enter("A.constructor","a.js",3);try{',
    );
  });
});

describe('the tricky JavaScript fixture', () => {
  const src = join(FIXTURES, 'javascript/tricky');
  const out = join(work, 'js-tricky');
  const events = join(work, 'js-tricky.jsonl');

  it('prints the same before and after, with the stack line of a throw unchanged', async () => {
    const results = await instrumentTreeLocally(src, out, [js, ts]);
    expect([...results.values()].flatMap((r) => r.skipped)).toEqual([]);
    const before = run('node', ['driver.js'], src);
    const after = run('node', ['driver.js'], out, events);
    expect(before.status).toBe(0);
    expect(after).toEqual(before);
    expect(after.out).toContain('fails boom 15');
    expect(after.out).toContain('strict true false');
  });

  it('emits one enter and exactly one exit or error per call', () => {
    const { counts, unbalanced } = tally(readEvents(events));
    expect(unbalanced).toEqual([]);
    expect(counts.get('lib.js:fact')).toEqual({ enter: 5, exit: 5, error: 0 });
    expect(counts.get('lib.js:fails')).toEqual({ enter: 1, exit: 0, error: 1 });
    expect(counts.get('lib.js:counter')).toEqual({ enter: 3, exit: 2, error: 1 }); // done, closed early, thrown into
    expect(counts.get('lib.js:delayed')).toEqual({ enter: 2, exit: 1, error: 1 });
    expect(counts.get('lib.js:ticks')).toEqual({ enter: 1, exit: 1, error: 0 });
    expect(counts.get('lib.js:Derived.constructor')).toEqual({ enter: 2, exit: 1, error: 1 });
    expect(counts.get('lib.js:Base.constructor')).toEqual({ enter: 3, exit: 2, error: 1 });
    expect(counts.get('lib.js:Base.get upper')?.enter).toBe(1);
    expect(counts.get('lib.js:Base.#secret')?.enter).toBe(2);
    expect(counts.get('lib.js:adder.<anonymous@82>')?.exit).toBe(2); // the two inner arrows of a => b => c
    expect(counts.get('lib.js:outer.inner')?.exit).toBe(3);
    expect(counts.get('esm.mjs:square')?.exit).toBe(3);
    const enter = readEvents(events).find((event) => event.function === 'fact');
    expect(enter).toMatchObject({ event: 'enter', file: 'lib.js', line: 18 });
  });

  it('writes nothing with SCRIPTBOX_TELEMETRY_FILE unset', () => {
    const target = join(work, 'unset.jsonl');
    expect(run('node', ['driver.js'], out).status).toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  it('leaves an instrumented tree as it is (marker)', async () => {
    const again = await instrumentTreeLocally(out, join(work, 'js-tricky-2'), [js, ts]);
    expect(again.size).toBe(0);
  });
});

describe('the tricky TypeScript fixture', () => {
  const src = join(FIXTURES, 'typescript/tricky');
  const out = join(work, 'ts-tricky');
  const events = join(work, 'ts-tricky.jsonl');

  it('still type-checks with tsc --noEmit and prints the same before and after', async () => {
    const results = await instrumentTreeLocally(src, out, [js, ts]);
    const skipped = [...results.values()].flatMap((r) =>
      r.skipped.map((s) => `${s.fn.qualifiedName}: ${s.reason}`),
    );
    expect(skipped).toEqual([
      'pad: overload signature (no body)',
      'pad: overload signature (no body)',
      'declaredElsewhere: ambient declaration (declare, no body)',
      'Shape.area: abstract method (no body)',
    ]);
    symlinkSync(join(REPO, 'node_modules'), join(out, 'node_modules'));
    expect(run(TSC, ['-p', 'tsconfig.json'], src)).toEqual({ status: 0, out: '' });
    expect(run(TSC, ['-p', 'tsconfig.json'], out)).toEqual({ status: 0, out: '' });
    const before = run(TSX, ['driver.ts'], src);
    const after = run(TSX, ['driver.ts'], out, events);
    expect(before.status).toBe(0);
    expect(after).toEqual(before);
    expect(after.out).toContain('fail boom 13');
  }, 60_000);

  it('emits balanced events, the derived constructor and accessors included', () => {
    const { counts, unbalanced } = tally(readEvents(events));
    expect(unbalanced).toEqual([]);
    expect(counts.get('lib.ts:Circle.constructor')).toEqual({ enter: 2, exit: 2, error: 0 });
    expect(counts.get('lib.ts:Circle.set radius')).toEqual({ enter: 1, exit: 0, error: 1 });
    expect(counts.get('lib.ts:range')?.exit).toBe(1);
    expect(counts.get('lib.ts:chunks')?.exit).toBe(1);
    expect(counts.get('lib.ts:Geometry.distance')?.exit).toBe(1);
    expect(counts.get('lib.ts:config.timeout')?.exit).toBe(1);
    expect(counts.get('widget.tsx:label')?.exit).toBe(1);
  });
});

describe('a real project: lru_map 0.3.3 (vendored, MIT)', () => {
  const src = join(FIXTURES, 'javascript/lru_map');
  const out = join(work, 'lru_map');
  const events = join(work, 'lru.jsonl');
  // The suite prints the time of a test or of the run when it took over 10 ms: `set ... ok (12ms)`.
  const stable = (text: string): string => text.replace(/ *\(\d+(\.\d+)?m?s\)/g, '').replace(/ +$/gm, '');

  it('passes its own suite (node test.js) exactly as before', async () => {
    const results = await instrumentTreeLocally(src, out, [js]);
    expect(results.get('lru.js')?.instrumented.length).toBe(29);
    expect(results.has('test.js')).toBe(false); // its test file is run, not instrumented
    const before = run('node', ['test.js'], src);
    const after = run('node', ['test.js'], out, events);
    expect(before.status).toBe(0);
    expect(after.status).toBe(0);
    expect(stable(after.out)).toBe(stable(before.out));
    expect(after.out).toContain('11 tests passed');
  });

  it('emits one enter and exactly one exit or error per call of its methods', () => {
    const all = readEvents(events);
    const { counts, unbalanced } = tally(all);
    expect(unbalanced).toEqual([]);
    for (const name of ['LRUMap', 'LRUMap.set', 'LRUMap.get', 'LRUMap.shift', 'LRUMap.delete', 'Entry'])
      expect(counts.get(`lru.js:${name}`)?.exit ?? 0).toBeGreaterThan(0);
    expect(counts.get('lru.js:LRUMap.assign')?.error).toBe(1); // the suite asserts that it throws
    expect(all.every((event) => event.event === 'enter' || typeof event.durationMs === 'number')).toBe(true);
  });

  it('keeps lines whole when two processes append to one file', () => {
    const shared = join(work, 'shared.jsonl');
    const script =
      "const {LRUMap}=require('./lru.js');const m=new LRUMap(3);for(let i=0;i<2000;i++)m.set(i,i);";
    execFileSync('bash', ['-c', `node -e "${script}" & node -e "${script}" & wait`], {
      cwd: out,
      env: { ...process.env, SCRIPTBOX_TELEMETRY_FILE: shared },
    });
    const { counts, unbalanced } = tally(readEvents(shared));
    expect(unbalanced).toEqual([]);
    expect(counts.get('lru.js:LRUMap.set')?.exit).toBe(4000);
  });
});
