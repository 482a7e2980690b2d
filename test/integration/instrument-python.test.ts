/**
 * The Python module end to end through instrumentTree (real sandbox, real cache): the tricky fixtures
 * (test/fixtures/instrument/python/tricky: one file per construct, driven by driver.py) and a real project,
 * more-itertools (MIT, vendored with its LICENSE), whose own unittest suite (doctests included) must pass
 * exactly as before, with every function that ran balanced: enters == exits + errors.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { instrumentTree } from '../../src/workflows/instrument/index.js';
import { support } from '../../src/workflows/instrument/languages/python.js';
import {
  countEvents,
  readEvents,
  runPython,
  runPythonAsync,
  unbalanced,
  type Run,
} from '../unit/instrument/python-helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/instrument/python');
let dir: string;
let engine: Engine;
let library: Library;

beforeAll(async () => {
  engine = await createEngine();
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-instrument-python-'));
  library = openLibrary({ home: join(dir, 'home') });
});
afterAll(async () => {
  library.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Summary lines of a unittest run: the count and the verdict, without timings. */
const verdict = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((line) => /^(Ran \d+ tests|OK|FAILED)/.test(line))
    .map((line) => line.replace(/ in [\d.]+s$/, ''));

/** The ids of failed or errored tests of a unittest run. */
const failures = (stderr: string): string[] =>
  [...stderr.matchAll(/^(?:ERROR|FAIL): (\S+) \((\S+)\)/gm)].map((m) => `${m[2]}.${m[1]}`);

describe('python instrumentation end to end', () => {
  it('tricky constructs: same output, one enter and exactly one exit|error per call, user line numbers', async () => {
    const src = join(FIXTURES, 'tricky');
    const out = join(dir, 'tricky');
    const result = await instrumentTree(engine, {
      root: src,
      out,
      library,
      exclude: ['driver.py', 'oracle.py'],
    });
    expect(result.functions.instrumented).toBe(60);
    const reasons = Object.keys(result.functions.skippedByReason);
    expect(reasons.every((r) => r.startsWith('lambda'))).toBe(true);
    for (const file of result.files.instrumented)
      expect(readFileSync(join(out, file), 'utf8')).toContain(support.marker);

    const original = runPython([join(src, 'driver.py')], dir);
    expect(original.status, original.stderr).toBe(0);
    const plain = runPython([join(out, 'driver.py')], dir);
    const telemetry = join(dir, 'tricky.jsonl');
    const traced = runPython([join(out, 'driver.py')], dir, telemetry);
    expect(plain.stdout).toBe(original.stdout);
    expect(traced.stdout).toBe(original.stdout);
    expect(traced.stderr).toBe('');
    // Tracebacks inside functions (also doubly nested and after nested defs) name the user's lines and text.
    expect(original.stdout).toContain('exceptions.py:11 raise Boom("bottom")');
    expect(original.stdout).toContain('closures.py:30 raise ArithmeticError("negative z")');

    const events = readEvents(telemetry);
    const counts = countEvents(events);
    expect(unbalanced(counts)).toEqual([]);
    const of = (key: string): string => {
      const c = counts.get(key);
      return c === undefined ? 'never ran' : `${c.enter}/${c.exit}/${c.error}`;
    };
    expect(of('recursion.py:factorial')).toBe('2009/2009/0'); // 6 + 8 threads x 50 x 5 + 3 in a forked child
    expect(of('recursion.py:depth')).toBe('701/701/0'); // deep recursion still fits
    expect(of('exceptions.py:explode')).toBe('6/0/6');
    expect(of('exceptions.py:exits_process')).toBe('1/0/1'); // SystemExit is an error exit
    expect(of('generators.py:endless')).toBe('1/1/0'); // closed early: one exit
    expect(of('generators.py:count_up')).toBe('2/2/0'); // the unstarted one never entered
    expect(of('generators.py:failing')).toBe('1/0/1');
    expect(of('generators.py:managed')).toBe('2/1/1'); // the exception thrown into the contextmanager
    expect(of('async_funcs.py:ticker')).toBe('2/2/0'); // exhausted once, aclose()d once
    expect(of('async_funcs.py:cancelled')).toBe('1/0/1');
    expect(of('methods.py:Shape.name')).toBe('3/2/1'); // getter, setter, failing setter
    expect(of('closures.py:outer.<locals>.middle.<locals>.inner')).toBe('2/1/1');
    expect(of('decorators.py:fib')).toBe('21/21/0'); // under lru_cache: only the misses
    expect(of('nested_classes.py:factory.<locals>.Local.hello')).toBe('1/1/0');
    expect(of('nested_classes.py:grüße')).toBe('1/1/0');
    expect([...counts.keys()].some((k) => k.includes('<lambda>'))).toBe(false);
    const enter = events.find((e) => e.function === 'Square.area')!;
    expect(enter).toMatchObject({ event: 'enter', file: 'methods.py', line: 51 });
    expect(events.filter((e) => e.event !== 'enter').every((e) => typeof e.durationMs === 'number')).toBe(
      true,
    );
  });

  it('more-itertools: its own suite passes exactly as before; every function that ran is balanced', async () => {
    const src = join(dir, 'more-itertools-src');
    cpSync(join(FIXTURES, 'more-itertools'), src, { recursive: true });
    const out = join(dir, 'more-itertools');
    const result = await instrumentTree(engine, { root: src, out, library });
    expect(result.files.instrumented.sort()).toEqual(['more_itertools/more.py', 'more_itertools/recipes.py']);
    expect(result.functions.found).toBe(286);
    expect(result.functions.instrumented).toBe(275); // the 11 others are lambdas

    const telemetry = join(dir, 'more-itertools.jsonl');
    const [original, plain] = await Promise.all([
      runPythonAsync(['-m', 'unittest'], src),
      runPythonAsync(['-m', 'unittest'], out),
    ]);
    expect(verdict(original.stderr)).toEqual(['Ran 901 tests', 'OK']);
    expect(verdict(plain.stderr)).toEqual(verdict(original.stderr));
    // The suite makes ~22 million calls (5 GB of events): log the first 1000 calls of each function.
    const traceRun = (): Promise<Run> => {
      rmSync(telemetry, { force: true });
      return runPythonAsync(['-m', 'unittest'], out, telemetry, { SCRIPTBOX_TELEMETRY_MAX_CALLS: '1000' });
    };
    let traced = await traceRun();
    const failing = failures(traced.stderr);
    // CallbackIterTests read `it.result` right after `next(it)`, racing the callback's thread (upstream
    // timing; seen once under full load): only those are retried, once, and anything else fails here.
    if (failing.length > 0 && failing.every((name) => name.includes('CallbackIterTests')))
      traced = await traceRun();
    expect(verdict(traced.stderr), traced.stderr.slice(-3000)).toEqual(verdict(original.stderr));

    const counts = countEvents(readEvents(telemetry));
    expect(unbalanced(counts)).toEqual([]);
    expect(counts.size).toBeGreaterThan(260);
    expect(counts.get('more_itertools/more.py:peekable.__next__')?.enter).toBe(1000);
  }, 400_000);
});
