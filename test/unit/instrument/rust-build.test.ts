/**
 * Rust instrumentation end to end with the real toolchain: the tricky fixture and a vendored open-source
 * crate (strsim) go through instrumentTree (insertion scripts in the sandbox), then must build, run and
 * pass their own tests exactly as before (offline cargo, a temp CARGO_TARGET_DIR), and emit one enter and
 * exactly one exit or error per call.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src/index.js';
import { instrumentTree, removeInstrumentation } from '../../../src/workflows/instrument/index.js';
import { fileTree, instrumentCopy } from './build-trees.js';
import { readEvents, tally, unbalanced } from './go-helpers.js';
import { cargo, cleanupCargo, hasCargo, NO_CARGO } from './rust-helpers.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/instrument/rust');
const skipped = hasCargo ? '' : ` — skipped: ${NO_CARGO}`;
const SLOW = 400_000;

let engine: Engine;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sbx-rust-build-'));
  if (hasCargo) engine = await createEngine();
});
afterAll(async () => {
  if (hasCargo) await engine.close();
  await rm(tmp, { recursive: true, force: true });
  await cleanupCargo();
});

/** `test name ... ok` lines of cargo test, sorted. */
const results = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => /^test .* \.\.\. \w+$/.test(line))
    .sort();

/** A panic report without what differs between two builds (thread ids, paths, toolchain hashes). */
const normalizeTrace = (text: string, dir: string): string =>
  text
    .split('\n')
    .filter((line) => !/^\s*(Compiling|Finished|Running|Blocking)\b/.test(line))
    .join('\n')
    .replaceAll(dir, '<dir>')
    .replace(/thread '(\w+)' \(\d+\)/g, "thread '$1'")
    .replace(/\/rustc\/[0-9a-f]+/g, '/rustc/<hash>');

describe('rust instrumentation, built and run', () => {
  it.skipIf(!hasCargo)(
    `tricky fixture: same output and tests, one exit|error per enter, panics and lines untouched${skipped}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'tricky',
        tmp,
        language: 'rust',
      });
      expect(report.files.instrumented.sort()).toEqual([
        'src/bin/other.rs',
        'src/main.rs',
        'src/shapes.rs',
        'src/util/parse.rs',
      ]);
      expect(report.runtimeFiles).toEqual(['scriptbox_telemetry.rs']);
      expect(report.files.skipped).toEqual([{ path: 'tests/it.rs', reason: 'test file' }]);
      expect(report.functions.skippedByReason).toEqual({
        'extern block item': 1,
        'test code': 3,
        'const fn': 1,
      });
      expect(report.functions.instrumented).toBe(38);

      // Same line count everywhere: the statements go on existing lines.
      const before = await fileTree(src);
      for (const [path, text] of await fileTree(out))
        if (before.has(path))
          expect(text.toString().split('\n').length, path).toBe(
            before.get(path)?.toString().split('\n').length,
          );
      const other = (await readFile(join(out, 'src/bin/other.rs'), 'utf8')).split('\n');
      expect(other[5]).toBe(
        'fn main() { let __sbx_g = scriptbox_telemetry::enter("main", "src/bin/other.rs", 6); ' +
          'println!("{}", greet("other")) } #[path = "../../scriptbox_telemetry.rs"] mod scriptbox_telemetry; ' +
          '// trailing comment stays last',
      );

      // Builds warning-free (the lib denies warnings), same tests, same output; unset: nothing written.
      for (const dir of [src, out]) {
        const build = await cargo(dir, ['build', '--all-targets']);
        expect(build.status, build.stderr).toBe(0);
        expect(build.stderr).not.toMatch(/^warning/m);
      }
      const plain = await cargo(src, ['test']);
      const instrumented = await cargo(out, ['test']);
      expect(instrumented.status).toBe(0);
      expect(results(instrumented.stdout)).toEqual(results(plain.stdout));
      expect(results(plain.stdout)).toHaveLength(4);

      const events = join(tmp, 'tricky-events.jsonl');
      const run = (dir: string, args: string[], extra = {}): ReturnType<typeof cargo> =>
        cargo(dir, ['run', '-q', '--bin', 'tricky', '--', ...args], extra);
      const expected = await run(src, []);
      expect(expected.stdout).toContain('fib 55');
      expect((await run(out, [])).stdout).toBe(expected.stdout);
      expect(await readEvents(events)).toEqual([]);
      const traced = await run(out, [], { SCRIPTBOX_TELEMETRY_FILE: events });
      expect(traced.stdout).toBe(expected.stdout);
      expect(normalizeTrace(traced.stderr, out)).toBe(normalizeTrace(expected.stderr, src));

      const got = await readEvents(events);
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      const count = (fn: string, file = 'src/main.rs'): [number, number, number] | undefined =>
        counts.get(`${file}:${fn}`);
      expect(count('main')).toEqual([1, 1, 0]);
      expect(count('fib', 'src/util/parse.rs')).toEqual([419, 419, 0]); // fib(10) + fib(6..=9) in threads
      expect(count('parse_sum', 'src/util/parse.rs')).toEqual([2, 2, 0]); // one early return by `?`
      expect(count('classify')).toEqual([4, 4, 0]); // early returns
      expect(count('classify::{closure#0}')).toEqual([4, 4, 0]);
      expect(count('must_positive')).toEqual([2, 1, 1]); // one panic, caught by catch_unwind
      expect(count('safe_div::{closure#0}')).toEqual([2, 1, 1]);
      expect(count('safe_div')).toEqual([2, 2, 0]);
      expect(count('safe_div::{closure#1}')).toEqual([1, 1, 0]); // expression closure
      expect(count('<Noisy as Drop>::drop')).toEqual([2, 2, 0]); // ran during unwinding: still an exit
      expect(count('counter::{closure#0}')).toEqual([2, 2, 0]);
      expect(count('counter::{closure#0}::{closure#0}')).toEqual([2, 2, 0]);
      expect(count('workers::{closure#0}::{closure#0}')).toEqual([4, 4, 0]); // threads
      expect(count('add_async')).toEqual([1, 1, 0]); // async fns
      expect(count('double_async')).toEqual([1, 1, 0]);
      expect(count('DOUBLE::{closure#0}')).toEqual([1, 1, 0]); // closure in a static
      expect(count('main::{closure#0}')).toEqual([3, 3, 0]);
      expect(count('Stack::push', 'src/shapes.rs')).toEqual([2, 2, 0]); // generic impl
      expect(count('Shape::describe', 'src/shapes.rs')).toEqual([2, 2, 0]); // trait default body
      expect(count('<Circle as Shape>::area', 'src/shapes.rs')).toEqual([1, 1, 0]);
      expect(count('<Rect as fmt::Display>::fmt', 'src/shapes.rs')).toEqual([1, 1, 0]);
      expect(count('largest', 'src/shapes.rs')).toEqual([2, 2, 0]); // two instantiations
      expect(count('inner::deeper::twice', 'src/shapes.rs')).toEqual([1, 1, 0]); // super::super::
      expect(count('<NoopWaker as Wake>::wake')).toBeUndefined(); // never called
      const fib = got.find((e) => e.function === 'fib' && e.event === 'exit');
      expect(fib).toMatchObject({ file: 'src/util/parse.rs', line: 4 });
      expect(fib?.durationMs).toBeGreaterThanOrEqual(0);
      expect(got.every((e) => typeof e.ts === 'number' && e.ts > 1.6e12)).toBe(true);
      expect((await cargo(out, ['run', '-q', '--bin', 'other'])).stdout).toBe('hello other\n');

      // An unrecovered panic: same exit status and the same report (the user's line:column), plus errors.
      const crashes: Array<{ status: number | null; trace: string }> = [];
      for (const dir of [src, out]) {
        const extra = { RUST_BACKTRACE: '1', ...(dir === out ? { SCRIPTBOX_TELEMETRY_FILE: events } : {}) };
        const crash = await run(dir, ['crash'], extra);
        crashes.push({ status: crash.status, trace: normalizeTrace(crash.stderr, dir) });
      }
      expect(crashes[1]).toEqual(crashes[0]);
      expect(crashes[0]?.status).toBe(101);
      // rustc ≥ 1.73 prints `panicked at src/main.rs:45:9:\nmsg`, older ones `panicked at 'msg', src/...`.
      expect(crashes[0]?.trace).toMatch(/panicked at (src\/main\.rs:45:9:\n)?'?not positive: -1/);
      expect(crashes[0]?.trace).toContain('src/main.rs:45:9');
      expect(crashes[0]?.trace).toMatch(/tricky::must_positive\n\s+at \.\/src\/main\.rs:45:9\n/);
      const after = await readEvents(events);
      expect(after.slice(got.length).map((e) => `${e.event} ${e.function}`)).toEqual([
        'enter main',
        'enter must_positive',
        'enter <Noisy as Drop>::drop',
        'exit <Noisy as Drop>::drop',
        'error must_positive',
        'error main',
      ]);

      // Idempotent, and --remove gives the original bytes back.
      const instrumentedTree = await fileTree(out);
      const again = await instrumentTree(engine, { root: out, inPlace: true, languages: ['rust'] });
      expect(again.files.instrumented).toEqual([]);
      expect(await fileTree(out)).toEqual(instrumentedTree);
      await removeInstrumentation(out);
      expect(await fileTree(out)).toEqual(await fileTree(src));
    },
    SLOW,
  );

  it.skipIf(!hasCargo)(
    `strsim (real crate): builds and passes its own tests as before, events checked${skipped}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'strsim',
        tmp,
        language: 'rust',
      });
      expect(report.files.instrumented).toEqual(['src/lib.rs']);
      expect(report.runtimeFiles).toEqual(['scriptbox_telemetry.rs']);
      expect(Object.keys(report.functions.skippedByReason)).toEqual(['test code']);
      expect(report.functions.instrumented).toBeGreaterThanOrEqual(30);

      const plain = await cargo(src, ['test']);
      expect(plain.status).toBe(0);
      const events = join(tmp, 'strsim-events.jsonl');
      const traced = await cargo(out, ['test'], { SCRIPTBOX_TELEMETRY_FILE: events });
      expect(traced.status, traced.stdout + traced.stderr).toBe(0);
      expect(results(traced.stdout)).toEqual(results(plain.stdout));
      expect(results(plain.stdout).length).toBeGreaterThan(100); // unit, integration and doc tests

      const got = await readEvents(events); // every test binary and doctest appends to one file
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      const ran = (fn: string): number => counts.get(`src/lib.rs:${fn}`)?.[0] ?? 0;
      for (const fn of [
        'hamming',
        'generic_hamming',
        'jaro',
        'jaro_winkler',
        'levenshtein',
        'osa_distance',
        'damerau_levenshtein',
        'sorensen_dice',
        'bigrams',
      ])
        expect(ran(fn), fn).toBeGreaterThan(0);
      expect(counts.size).toBeGreaterThanOrEqual(25); // distinct functions that ran
      expect(got.filter((e) => e.event === 'error')).toEqual([]);
    },
    SLOW,
  );
});
