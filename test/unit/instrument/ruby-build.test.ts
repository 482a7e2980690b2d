/**
 * Ruby instrumentation end to end with the real interpreter: the tricky fixture and a vendored open-source
 * project (ruby/prime, test-unit tests) go through instrumentTree (insertion scripts in the sandbox), then
 * must run and pass their own tests exactly as before, with the same backtraces, and emit one enter and
 * exactly one exit or error per call.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src/index.js';
import { instrumentTree, removeInstrumentation } from '../../../src/workflows/instrument/index.js';
import { fileTree, instrumentCopy } from './build-trees.js';
import { BRACE_BLOCK_SKIP } from '../../../src/workflows/instrument/languages/ruby-analysis.js';
import { readEvents, tally, unbalanced } from './go-helpers.js';

const hasRuby = spawnSync('ruby', ['--version'], { stdio: 'ignore' }).status === 0;
const skipped = hasRuby ? '' : ' — skipped: ruby missing: run scripts/setup.sh';
const FIXTURES = join(import.meta.dirname, '../../fixtures/instrument/ruby');
const SLOW = 240_000;

let engine: Engine;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sbx-ruby-build-'));
  if (hasRuby) engine = await createEngine();
});
afterAll(async () => {
  if (hasRuby) await engine.close();
  await rm(tmp, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function ruby(cwd: string, args: string[], events?: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['SCRIPTBOX_TELEMETRY_FILE'];
  delete env['RUBYOPT'];
  if (events !== undefined) env['SCRIPTBOX_TELEMETRY_FILE'] = events;
  const run = spawnSync('ruby', args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A test run's summary line ("4 runs, 8 assertions, 0 failures, ..." / "26 tests, ..."). */
const summary = (text: string): string | undefined =>
  text.split('\n').find((line) => /^\d+ (runs|tests), \d+ assertions/.test(line));

describe('ruby instrumentation, run', () => {
  it.skipIf(!hasRuby)(
    `tricky fixture: same output, tests and backtraces, one exit|error per enter${skipped}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'tricky',
        tmp,
        language: 'ruby',
      });
      expect(report.files.instrumented.sort()).toEqual([
        'lib/tricky/flow.rb',
        'lib/tricky/shapes.rb',
        'main.rb',
      ]);
      expect(report.files.skipped).toEqual([{ path: 'test/test_tricky.rb', reason: 'test file' }]);
      expect(report.runtimeFiles).toEqual(['scriptbox_telemetry.rb']);
      expect(report.functions.skipped.map((s) => `${s.function}: ${s.reason}`)).toEqual([
        `Tricky::Flow#in_threads.block2: ${BRACE_BLOCK_SKIP}`,
        `<main>.block1: ${BRACE_BLOCK_SKIP}`,
      ]);
      expect(report.functions.instrumented).toBe(49);

      // Same line count everywhere: the wrapper goes on the def's and the end's lines.
      const before = await fileTree(src);
      for (const [path, text] of await fileTree(out))
        if (before.has(path))
          expect(text.toString().split('\n').length, path).toBe(
            before.get(path)?.toString().split('\n').length,
          );

      // Same output and warnings (ruby -w), same test results; with telemetry unset nothing is written.
      const plain = ruby(src, ['-w', 'main.rb']);
      expect(plain.stdout).toContain('fib 55');
      expect(ruby(out, ['-w', 'main.rb'])).toEqual(plain);
      const tests = ruby(src, ['-w', '-Ilib', 'test/test_tricky.rb']);
      expect(summary(tests.stdout)).toBe('4 runs, 8 assertions, 0 failures, 0 errors, 0 skips');
      expect(summary(ruby(out, ['-w', '-Ilib', 'test/test_tricky.rb']).stdout)).toBe(summary(tests.stdout));
      const events = join(tmp, 'tricky-events.jsonl');
      expect(ruby(out, ['-w', 'main.rb'], events)).toEqual(plain);

      const got = await readEvents(events);
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      const flow = (fn: string): [number, number, number] | undefined =>
        counts.get(`lib/tricky/flow.rb:Tricky::Flow#${fn}`);
      const shapes = (fn: string): [number, number, number] | undefined =>
        counts.get(`lib/tricky/shapes.rb:Tricky::${fn}`);
      expect(flow('fib')).toEqual([325, 325, 0]); // recursion: fib(10), and fib(5..8) in threads
      expect(flow('classify')).toEqual([4, 4, 0]); // early returns
      expect(flow('first_big')).toEqual([2, 2, 0]); // return from inside a block...
      expect(flow('first_big.block1')).toEqual([3, 3, 0]); // ...ends the block's call too
      expect(flow('careful')).toEqual([2, 2, 0]); // retry in the def's rescue: no second enter
      expect(flow('divide')).toEqual([2, 1, 1]); // ZeroDivisionError, rescued by safe_divide
      expect(flow('safe_divide')).toEqual([2, 2, 0]);
      expect(flow('each_pair_sum')).toEqual([3, 3, 0]); // enum_for, then yield
      expect(flow('each_pair_sum.block1')).toEqual([3, 3, 0]);
      expect(flow('skipped_twice.block1')).toEqual([3, 3, 0]); // next and break
      expect(flow('thrower.block1.block1')).toEqual([2, 2, 0]); // throw unwinds as an exit
      expect(flow('counter.lambda1')).toEqual([2, 2, 0]);
      expect(flow('counter.lambda2')).toEqual([1, 1, 0]);
      expect(flow('counter.lambda3')).toEqual([1, 1, 0]);
      expect(flow('in_threads.block1.block1')).toEqual([4, 4, 0]); // Thread.new blocks
      expect(flow('generated.block1')).toEqual([1, 1, 0]); // a Fiber, resumed to its end
      expect(flow('generated.block2')).toEqual([1, 1, 0]); // proc do...end
      expect(flow('heading')).toEqual([1, 1, 0]); // endless method returning a heredoc
      expect(flow('noop')).toEqual([1, 1, 0]);
      expect(shapes('Shape#<=>')).toEqual([5, 5, 0]); // endless operator method
      expect(shapes('Shape#initialize')).toEqual([3, 3, 0]); // via super
      expect(shapes('Shape.count')).toEqual([2, 2, 0]);
      expect(shapes('Shape.bump!')).toEqual([1, 1, 0]); // class << self
      expect(shapes('Shape#kind')).toEqual([1, 1, 0]); // define_method(:kind) { }
      expect(shapes('Circle#r=')).toEqual([1, 0, 1]); // setter raising
      expect(shapes('Rect.square')).toEqual([1, 1, 0]); // def Rect.square
      expect(shapes('Rect#[]')).toEqual([1, 1, 0]);
      expect(shapes('Point#dist2')).toEqual([1, 1, 0]); // def in a Struct.new block
      expect(shapes('Units#cm')).toEqual([1, 1, 0]);
      expect(counts.get('main.rb:banner')).toEqual([2, 2, 0]);
      const fib = got.find((e) => e.function === 'Tricky::Flow#fib' && e.event === 'exit');
      expect(fib).toMatchObject({ file: 'lib/tricky/flow.rb', line: 14 });
      expect(fib?.durationMs).toBeGreaterThanOrEqual(0);
      expect(got.every((e) => typeof e.ts === 'number' && e.ts > 1.6e12)).toBe(true);

      // An unrescued exception: same status and backtrace (the user's lines), plus error events.
      const crash = ruby(src, ['main.rb', 'crash']);
      expect(crash.status).toBe(1);
      expect(crash.stderr).toMatch(/flow\.rb:109:in `crash': deep failure \(RuntimeError\)/);
      const instrumentedCrash = ruby(out, ['main.rb', 'crash'], events);
      expect(instrumentedCrash.status).toBe(crash.status);
      expect(instrumentedCrash.stderr.replaceAll(out, '<dir>')).toBe(crash.stderr.replaceAll(src, '<dir>'));
      const after = (await readEvents(events)).slice(got.length);
      expect(after.slice(-6).map((e) => `${e.event} ${e.function}`)).toEqual([
        ...Array<string>(3).fill('enter Tricky::Flow#crash'),
        ...Array<string>(3).fill('error Tricky::Flow#crash'),
      ]);

      // Idempotent, and --remove gives the original bytes back.
      const instrumentedTree = await fileTree(out);
      const again = await instrumentTree(engine, { root: out, inPlace: true, languages: ['ruby'] });
      expect(again.files.instrumented).toEqual([]);
      expect(await fileTree(out)).toEqual(instrumentedTree);
      await removeInstrumentation(out);
      expect(await fileTree(out)).toEqual(await fileTree(src));
    },
    SLOW,
  );

  it.skipIf(!hasRuby)(
    `ruby/prime (real project): passes its own tests as before, events checked${skipped}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'prime',
        tmp,
        language: 'ruby',
      });
      expect(report.files.instrumented).toEqual(['lib/prime.rb']);
      expect(report.runtimeFiles).toEqual(['scriptbox_telemetry.rb']);
      expect(report.functions.instrumented).toBe(46);
      expect(report.functions.skipped.every((s) => s.reason === BRACE_BLOCK_SKIP)).toBe(true);

      const args = ['-w', '-Ilib', 'test/test_prime.rb'];
      const plain = ruby(src, args);
      expect(summary(plain.stdout)).toBe(
        '26 tests, 1031 assertions, 0 failures, 0 errors, 0 pendings, 0 omissions, 0 notifications',
      );
      const instrumented = ruby(out, args);
      expect(summary(instrumented.stdout)).toBe(summary(plain.stdout));
      expect(instrumented.stderr).toBe(plain.stderr); // no new warnings
      const events = join(tmp, 'prime-events.jsonl');
      const traced = ruby(out, args, events);
      expect(summary(traced.stdout)).toBe(summary(plain.stdout));

      const got = await readEvents(events);
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      expect(counts.size).toBeGreaterThanOrEqual(40); // distinct functions that ran
      for (const fn of [
        'Integer#prime?',
        'Prime#each',
        'Prime::EratosthenesSieve#compute_primes',
        'Prime#prime_division',
      ])
        expect(counts.get(`lib/prime.rb:${fn}`)?.[0] ?? 0, fn).toBeGreaterThan(0);
      // Its tests make these raise on purpose (and rescue them): those are the errors.
      const errors = got.filter((e) => e.event === 'error').map((e) => e.function);
      expect(errors).toEqual([
        'Prime#prime?',
        'Prime#prime?',
        'Prime::PseudoPrimeGenerator#next',
        'Prime::PseudoPrimeGenerator#rewind',
        'Prime::PseudoPrimeGenerator#succ',
      ]);
    },
    SLOW,
  );
});
