/**
 * C and C++ instrumentation end to end with the real toolchains (gcc/g++ -Wall -Werror): the tricky
 * fixtures go through instrumentTree (insertion scripts in the sandbox); the vendored antirez/sds (BSD-2)
 * goes through instrumentTree and, file by file, through the modules alone. Each must build, print
 * exactly what the original printed (including __LINE__ values: no line moved) and pass its own tests,
 * with one enter and exactly one exit or error per call.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src/index.js';
import { instrumentTree, removeInstrumentation } from '../../../src/workflows/instrument/index.js';
import { fileTree } from './build-trees.js';
import {
  hasGcc,
  hasGxx,
  instrumentDirect,
  nestingProblems,
  NO_GCC,
  NO_GXX,
  readEvents,
  run,
  tally,
  unbalanced,
} from './c-helpers.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/instrument');
const SLOW = 240_000;
const noGcc = hasGcc ? '' : ` — skipped: ${NO_GCC}`;
const noGxx = hasGxx ? '' : ` — skipped: ${NO_GXX}`;

let engine: Engine;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sbx-c-build-'));
  if (hasGcc || hasGxx) engine = await createEngine();
});
afterAll(async () => {
  if (hasGcc || hasGxx) await engine.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Builds and runs the original and the instrumented copy; returns both runs and the events. */
async function buildBoth(src: string, out: string, exe: string) {
  const make = (dir: string) => run(dir, 'make', ['-s']);
  const builtSrc = make(src);
  expect(builtSrc.status, builtSrc.stderr).toBe(0);
  const builtOut = make(out);
  expect(builtOut.status, builtOut.stderr).toBe(0);
  expect(builtOut.stderr).toBe('');
  const before = run(src, exe, []);
  const quiet = run(out, exe, []);
  const telemetry = join(out, 'events.jsonl');
  const after = run(out, exe, [], telemetry);
  return { before, quiet, after, events: await readEvents(telemetry) };
}

describe('C and C++ instrumentation, built and run', () => {
  it.skipIf(!hasGcc)(
    `C tricky fixture via instrumentTree: same output and lines, one exit per enter, --remove restores${noGcc}`,
    async () => {
      const src = join(tmp, 'c-src');
      const out = join(tmp, 'c-out');
      await cp(join(FIXTURES, 'c/tricky'), src, { recursive: true });
      const report = await instrumentTree(engine, { root: src, out, languages: ['c'] });
      expect(report.files.instrumented.sort()).toEqual(['lines.c', 'main.c', 'ops.c', 'ops.h']);
      expect(report.runtimeFiles).toEqual(['scriptbox_telemetry.h']);
      expect(report.functions.skipped).toEqual([]);
      const head = await readFile(join(out, 'lines.c'), 'utf8');
      expect(head.split('\n').slice(0, 2)).toEqual(['#include "scriptbox_telemetry.h"', '#line 1']);
      const main = await readFile(join(out, 'main.c'), 'utf8');
      expect(main.split('\n').length).toBe((await readFile(join(src, 'main.c'), 'utf8')).split('\n').length);
      expect(main.startsWith('#include "scriptbox_telemetry.h" /*')).toBe(true);

      const { before, quiet, after, events } = await buildBoth(src, out, './prog');
      expect(before.status).toBe(0);
      expect(quiet.stdout).toBe(before.stdout); // __LINE__ values included
      expect(after.stdout).toBe(before.stdout);
      expect(unbalanced(events)).toEqual([]);
      const counts = tally(events);
      expect(counts.get('main.c:fib')).toEqual([177 + 4 * 50 * 15, 177 + 4 * 50 * 15, 0]);
      expect(counts.get('main.c:with_cleanup')).toEqual([2, 2, 0]); // goto and early return
      expect(counts.get('main.c:old_style')).toEqual([1, 1, 0]); // K&R
      expect(counts.get('main.c:sum')).toEqual([1, 1, 0]); // variadic
      expect(counts.get('ops.c:add')).toEqual([2, 2, 0]); // through a pointer
      expect(counts.get('ops.h:clamp')).toEqual([3, 3, 0]); // static inline in a header
      expect(counts.get('lines.c:lines_here')).toEqual([1, 1, 0]);
      expect(events.every((e) => e.event === 'enter' || typeof e.durationMs === 'number')).toBe(true);
      const threadsStart = events.findIndex((e) => e.function === 'worker');
      const nested = nestingProblems(events.slice(0, threadsStart));
      expect(nested.filter((problem) => !problem.startsWith('never left: main'))).toEqual([]);

      await removeInstrumentation(out);
      const restored = await fileTree(out);
      for (const [path, bytes] of await fileTree(src))
        if (!/^prog$|\.o$/.test(path)) expect(restored.get(path)).toEqual(bytes);
    },
    SLOW,
  );

  it.skipIf(!hasGxx)(
    `C++ tricky fixture via instrumentTree: exceptions give error events, lambdas and methods, constexpr skipped${noGxx}`,
    async () => {
      const src = join(tmp, 'cpp-src');
      const out = join(tmp, 'cpp-out');
      await cp(join(FIXTURES, 'cpp/tricky'), src, { recursive: true });
      const report = await instrumentTree(engine, { root: src, out, languages: ['cpp'] });
      expect(report.files.instrumented.sort()).toEqual(['main.cpp', 'shapes.cpp', 'shapes.hpp']);
      expect(report.functions.skipped.map((s) => `${s.function}: ${s.reason}`).sort()).toEqual([
        'geo::square: constexpr/consteval function (the guard cannot run in constant evaluation)',
        'main::<lambda@46>: lambda in a constant-evaluated context (may run at compile time)',
      ]);
      const { before, quiet, after, events } = await buildBoth(src, out, './prog');
      expect(quiet.stdout).toBe(before.stdout);
      expect(after.stdout).toBe(before.stdout);
      expect(unbalanced(events)).toEqual([]);
      const counts = tally(events);
      expect(counts.get('main.cpp:(anonymous namespace)::parse_positive')).toEqual([4, 2, 2]);
      expect(counts.get('main.cpp:(anonymous namespace)::safe_parse')).toEqual([2, 2, 0]); // caught inside
      expect(counts.get('main.cpp:guarded')).toEqual([2, 1, 1]); // function-try-block: error left the try
      expect(counts.get('shapes.cpp:geo::Rect::Rect')).toEqual([2, 1, 1]); // throwing constructor
      expect(counts.get('shapes.cpp:geo::checked_sqrt')).toEqual([1, 0, 1]);
      expect(counts.get('shapes.hpp:geo::Shape::Shape')).toEqual([2, 2, 0]);
      expect(counts.get('shapes.cpp:geo::Rect::~Rect')).toEqual([1, 1, 0]);
      expect(counts.get('shapes.hpp:geo::Rect::operator+=')).toEqual([1, 1, 0]);
      expect(counts.get('shapes.hpp:geo::largest')).toEqual([2, 2, 0]); // two instantiations
      expect(counts.get('main.cpp:main::<lambda@67>')).toEqual([1, 1, 0]); // capturing lambda
      expect(counts.get('main.cpp:main::<lambda@72>')).toEqual([5, 5, 0]); // recursive through std::function
      expect(counts.get('main.cpp:main::<lambda@80>')).toEqual([4, 4, 0]); // thread bodies
      expect(counts.get('main.cpp:(anonymous namespace)::Counter::bump')).toEqual([3, 3, 0]);
    },
    SLOW,
  );

  it.skipIf(!hasGcc)(
    `antirez/sds (vendored, BSD-2): its own tests pass after instrumentation, every call balanced${noGcc}`,
    async () => {
      const pristine = join(tmp, 'sds-src');
      await cp(join(FIXTURES, 'c/sds'), pristine, { recursive: true });
      const viaTree = join(tmp, 'sds-tree');
      const report = await instrumentTree(engine, { root: pristine, out: viaTree, languages: ['c'] });
      expect(report.files.instrumented).toEqual(expect.arrayContaining(['sds.h', 'sds.c']));
      const direct = join(tmp, 'sds-direct');
      await cp(pristine, direct, { recursive: true });
      const counts = await instrumentDirect(direct);
      expect(counts.get('sds.c')).toBeGreaterThan(40); // the module copes with what tree-sitter misreads
      for (const out of [viaTree, direct]) {
        const { before, after, events } = await buildBoth(pristine, out, './sds-test');
        expect(before.stdout).toMatch(/(\d+) tests, \1 passed, 0 failed/);
        expect(after.stdout).toBe(before.stdout);
        expect(events.length).toBeGreaterThan(100);
        expect(unbalanced(events)).toEqual([]);
        expect(nestingProblems(events)).toEqual([]);
      }
      const gccWerror = run(direct, 'gcc', [
        '-o',
        '/dev/null',
        'sds.c',
        '-Wall',
        '-Werror',
        '-std=c99',
        '-pedantic',
        '-O2',
        '-DSDS_TEST_MAIN',
      ]);
      expect(gccWerror.stderr).toBe('');
    },
    SLOW,
  );
});
