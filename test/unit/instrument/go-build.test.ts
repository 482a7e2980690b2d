/**
 * Go instrumentation end to end with the real toolchain: the tricky fixture and a vendored open-source
 * project (go-humanize) go through instrumentTree (insertion scripts in the sandbox), then must build, run
 * and pass their own tests exactly as before, and emit one enter and exactly one exit or error per call.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src/index.js';
import { instrumentTree, removeInstrumentation } from '../../../src/workflows/instrument/index.js';
import { fileTree, instrumentCopy } from './build-trees.js';
import { cleanupGo, go, hasGo, NO_GO, readEvents, tally, unbalanced } from './go-helpers.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/instrument/go');
const skipped = hasGo ? '' : ` — skipped: ${NO_GO}`;
const SLOW = 240_000;

let engine: Engine;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sbx-go-build-'));
  if (hasGo) engine = await createEngine();
});
afterAll(async () => {
  if (hasGo) await engine.close();
  await rm(tmp, { recursive: true, force: true });
  await cleanupGo();
});

/** A Go panic trace without what differs between any two builds (addresses, paths, inlined-call args). */
const normalizeTrace = (text: string, dir: string): string =>
  text
    .replaceAll(dir, '<dir>')
    .replace(/ \+0x[0-9a-f]+/g, '')
    .replace(/^(\S.*?)\([^()\n]*\)$/gm, '$1()');

/** `--- PASS: Name` lines of `go test -v`, sorted, without times. */
const passes = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => /^\s*--- (PASS|FAIL|SKIP)/.test(line))
    .map((line) => line.replace(/ \([\d.]+s\)$/, '').trim())
    .sort();

describe('go instrumentation, built and run', () => {
  it.skipIf(!hasGo)(
    `tricky fixture: same output and tests, one exit|error per enter, panics and lines untouched${skipped}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'tricky',
        tmp,
        language: 'go',
      });
      expect(report.files.instrumented.sort()).toEqual(['main.go', 'shapes/shapes.go']);
      expect(report.runtimeFiles.sort()).toEqual([
        'shapes/zz_scriptbox_telemetry.go',
        'zz_scriptbox_telemetry.go',
      ]);
      expect(report.functions.skipped.map((s) => s.reason).sort()).toEqual([
        'compiler directive //go:nosplit',
        'file has the "ignore" build tag (run alone with go run, without the package runtime)',
      ]);
      expect(report.files.skipped).toEqual(
        expect.arrayContaining([{ path: 'main_test.go', reason: 'test file' }]),
      );

      // Same line count everywhere: the statement goes on the brace's line.
      const before = await fileTree(src);
      for (const [path, text] of await fileTree(out))
        if (before.has(path))
          expect(text.toString().split('\n').length, path).toBe(
            before.get(path)?.toString().split('\n').length,
          );

      const gofmt = spawnSync('gofmt', ['-l', ...report.runtimeFiles], { cwd: out, encoding: 'utf8' });
      expect(gofmt.stdout).toBe(''); // the runtime files are gofmt-clean (the brace lines are not)
      for (const dir of [src, out]) {
        const build = await go(dir, ['build', '-o', 'tricky.bin', '.']);
        expect(build.stderr).toBe('');
        expect((await go(dir, ['vet', './...'])).status).toBe(0);
        expect((await go(dir, ['run', 'gen.go'])).stdout).toBe('generated nothing\n');
      }
      const plain = await go(src, ['test', '-count=1', '-v', './...']);
      const instrumented = await go(out, ['test', '-count=1', '-v', './...']);
      expect(instrumented.status).toBe(0);
      expect(passes(instrumented.stdout)).toEqual(passes(plain.stdout));
      expect(passes(plain.stdout)).toHaveLength(4);

      // Same output; with telemetry unset nothing is written.
      const events = join(out, 'events.jsonl');
      const run = (dir: string, args: string[], extra = {}): ReturnType<typeof go> =>
        go(dir, ['run', ...args], extra);
      const expected = (await run(src, ['.'])).stdout;
      expect(expected).toContain('fib 55');
      expect((await run(out, ['.'])).stdout).toBe(expected);
      expect(await readEvents(events)).toEqual([]);
      expect((await run(out, ['.'], { SCRIPTBOX_TELEMETRY_FILE: events })).stdout).toBe(expected);

      const got = await readEvents(events);
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      const count = (fn: string, file = 'main.go'): [number, number, number] | undefined =>
        counts.get(`${file}:${fn}`);
      expect(count('main')).toEqual([1, 1, 0]);
      expect(count('fib')).toEqual([177, 177, 0]); // recursion: every call of fib(10)
      expect(count('mustPositive')).toEqual([2, 1, 1]); // one panic, recovered by safeDiv's deferred closure
      expect(count('safeDiv')).toEqual([2, 2, 0]);
      expect(count('safeDiv.func1')).toEqual([2, 2, 0]);
      expect(count('classify')).toEqual([4, 4, 0]); // early returns, named result
      expect(count('classify.func1')).toEqual([4, 4, 0]);
      expect(count('deferOrder.func1')).toEqual([3, 3, 0]);
      expect(count('counter.func1')).toEqual([2, 2, 0]);
      expect(count('counter.func1.1')).toEqual([2, 2, 0]);
      expect(count('workers.func1')).toEqual([4, 4, 0]); // goroutines
      expect(count('glob..func1')).toEqual([4, 4, 0]); // package-level function literal
      expect(count('Map')).toEqual([1, 1, 0]); // generic
      expect(count('main.func1')).toEqual([3, 3, 0]);
      expect(count('find')).toEqual([1, 1, 0]);
      expect(count('(*Stack).Push', 'shapes/shapes.go')).toEqual([2, 2, 0]);
      expect(count('(*Stack).Pop', 'shapes/shapes.go')).toEqual([1, 1, 0]);
      expect(count('Stack.Len', 'shapes/shapes.go')).toEqual([1, 1, 0]);
      expect(count('(*Circle).Scale', 'shapes/shapes.go')).toEqual([1, 1, 0]);
      expect(count('Rect.Name', 'shapes/shapes.go')).toEqual([1, 1, 0]);
      const fib = got.find((e) => e.function === 'fib' && e.event === 'exit');
      expect(fib).toMatchObject({ file: 'main.go', line: 60 });
      expect(fib?.durationMs).toBeGreaterThanOrEqual(0);
      expect(got.every((e) => typeof e.ts === 'number' && e.ts > 1.6e12)).toBe(true);

      // An unrecovered panic: same exit status and the same trace (user lines), plus error events.
      const crashes: Array<{ status: number | null; trace: string }> = [];
      for (const dir of [src, out]) {
        const crash = await run(dir, ['.', 'crash'], dir === out ? { SCRIPTBOX_TELEMETRY_FILE: events } : {});
        crashes.push({ status: crash.status, trace: normalizeTrace(crash.stderr, dir) });
      }
      expect(crashes[1]).toEqual(crashes[0]);
      expect(crashes[0]?.trace).toMatch(
        /^panic: not positive: -1\n[^]*<dir>\/main\.go:38\n[^]*<dir>\/main\.go:117\n/,
      );
      const after = await readEvents(events);
      expect(after.slice(got.length).map((e) => `${e.event} ${e.function}`)).toEqual([
        'enter main',
        'enter mustPositive',
        'error mustPositive',
        'error main',
      ]);

      // Idempotent, and --remove gives the original bytes back.
      await rm(events);
      for (const bin of ['tricky.bin']) await rm(join(out, bin));
      const instrumentedTree = await fileTree(out);
      const again = await instrumentTree(engine, { root: out, inPlace: true, languages: ['go'] });
      expect(again.files.instrumented).toEqual([]);
      expect(await fileTree(out)).toEqual(instrumentedTree);
      await removeInstrumentation(out);
      await rm(join(src, 'tricky.bin'));
      expect(await fileTree(out)).toEqual(await fileTree(src));
    },
    SLOW,
  );

  it.skipIf(!hasGo)(
    `go-humanize (real project): builds and passes its own tests as before, events checked${skipped}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'go-humanize',
        tmp,
        language: 'go',
      });
      expect(report.runtimeFiles.sort()).toEqual([
        'english/zz_scriptbox_telemetry.go',
        'zz_scriptbox_telemetry.go',
      ]);
      expect(report.functions.skipped).toEqual([]);
      expect(report.functions.instrumented).toBeGreaterThanOrEqual(40);

      const plain = await go(src, ['test', '-count=1', '-v', './...']);
      expect(plain.status).toBe(0);
      expect((await go(out, ['build', './...'])).status).toBe(0);
      expect((await go(out, ['test', '-count=1', '-v', './...'])).status).toBe(0);
      const events = join(tmp, 'humanize-events.jsonl');
      const traced = await go(out, ['test', '-count=1', '-v', './...'], { SCRIPTBOX_TELEMETRY_FILE: events });
      expect(traced.status, traced.stdout + traced.stderr).toBe(0);
      expect(passes(traced.stdout)).toEqual(passes(plain.stdout));
      expect(passes(plain.stdout).length).toBeGreaterThan(30);

      const got = await readEvents(events); // both test binaries append to one file
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      const ran = (key: string): number => counts.get(key)?.[0] ?? 0;
      for (const key of [
        'bytes.go:Bytes',
        'bytes.go:ParseBytes',
        'comma.go:Comma',
        'ordinals.go:Ordinal',
        'times.go:Time',
        'english/words.go:Plural',
      ])
        expect(ran(key), key).toBeGreaterThan(0);
      expect(counts.size).toBeGreaterThanOrEqual(30); // distinct functions that ran
      // Its tests make FormatFloat panic twice on purpose (recovered in the test): those are the errors.
      const errors = got.filter((e) => e.event === 'error').map((e) => `${e.file}:${e.function}`);
      expect(errors).toEqual(['number.go:FormatFloat', 'number.go:FormatFloat']);
    },
    SLOW,
  );
});
