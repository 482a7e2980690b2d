/**
 * Java instrumentation end to end with the real toolchain: the tricky fixture and a vendored open-source
 * project (jsemver, with its JUnit 4 tests) go through instrumentTree (insertion scripts in the sandbox),
 * then are compiled with plain javac (no Maven, nothing fetched) and must run and pass their own tests
 * exactly as before, emitting one enter and exactly one exit or error per call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src/index.js';
import { instrumentTree, removeInstrumentation } from '../../../src/workflows/instrument/index.js';
import { fileTree, instrumentCopy } from './build-trees.js';
import {
  hasJava,
  hasJunit,
  javac,
  javaSources,
  JUNIT_CLASSPATH,
  NO_JAVA,
  NO_JUNIT,
  readEvents,
  run,
  tally,
  type TelemetryEvent,
} from './java-helpers.js';

const unbalanced = (events: TelemetryEvent[]): string[] =>
  [...tally(events)].filter(([, [enter, exit, error]]) => enter !== exit + error).map(([key]) => key);

const FIXTURES = join(import.meta.dirname, '../../fixtures/instrument/java');
const SLOW = 240_000;

let engine: Engine;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sbx-java-build-'));
  if (hasJava) engine = await createEngine();
});
afterAll(async () => {
  if (hasJava) await engine.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Compiles `dir` into `classes` (no lint warning allowed) and returns a runner of `java -cp classes`. */
async function build(
  dir: string,
  classes: string,
  classpath: readonly string[] = [],
): Promise<(args: string[], telemetry?: string) => ReturnType<typeof run>> {
  const compiled = await javac(dir, classes, classpath);
  expect(compiled.stderr).toBe('');
  expect(compiled.status).toBe(0);
  const cpArg = [classes, ...classpath].join(':');
  return (args, telemetry) => run(dir, 'java', ['-cp', cpArg, ...args], telemetry);
}

describe('java instrumentation, built and run', () => {
  it.skipIf(!hasJava)(
    `tricky fixture: same output and test, one exit|error per enter, stack traces untouched${hasJava ? '' : ` — skipped: ${NO_JAVA}`}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'tricky',
        tmp,
        language: 'java',
      });
      const main = 'src/main/java/demo/Main.java';
      const shape = 'src/main/java/demo/shapes/Shape.java';
      expect(report.files.instrumented.sort()).toEqual([main, shape]);
      expect(report.runtimeFiles).toEqual(['src/main/java/scriptbox/telemetry/T.java']);
      expect(report.functions.skipped.map((s) => `${s.function}: ${s.reason}`).sort()).toEqual([
        'Main.local.lambda$1: expression lambda whose body is a method call, assignment, ++/-- or new: ' +
          'whether it may return a value depends on its target type (needs type resolution), so it is not ' +
          'rewritten into a block',
        'Shape.Base.area: abstract method (no body)',
        'Shape.Kind.make: abstract method (no body)',
        'Shape.Kind.unused: native method (no body)',
        'Shape.area: abstract method (no body)',
        'Shape.name: abstract method (no body)',
      ]);
      expect(report.functions.instrumented).toBe(36);
      expect(report.files.skipped).toEqual(
        expect.arrayContaining([{ path: 'src/test/java/demo/MainTest.java', reason: 'test file' }]),
      );

      // Same line count everywhere: the inserted code goes on the braces' lines.
      const before = await fileTree(src);
      for (const [path, text] of await fileTree(out))
        if (before.has(path))
          expect(text.toString().split('\n').length, path).toBe(
            before.get(path)?.toString().split('\n').length,
          );

      const plain = await build(src, join(tmp, 'tricky-plain'));
      const instrumented = await build(out, join(tmp, 'tricky-instrumented'));
      const expected = plain(['demo.Main']);
      expect(expected.stdout).toContain('fib 55');
      const events = join(tmp, 'tricky-events.jsonl');
      expect(instrumented(['demo.Main']).stdout).toBe(expected.stdout);
      expect(await readEvents(events)).toEqual([]); // unset: nothing written
      expect(instrumented(['demo.MainTest']).stdout).toBe('MainTest ok\n');
      await rm(events, { force: true });
      const traced = instrumented(['demo.Main'], events);
      expect(traced.stdout).toBe(expected.stdout);
      expect(traced.stderr).toBe('');

      const got = await readEvents(events);
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      const count = (fn: string, file = main): [number, number, number] | undefined =>
        counts.get(`${file}:${fn}`);
      expect(count('Main.main')).toEqual([1, 1, 0]);
      expect(count('Main.<clinit>')).toEqual([1, 1, 0]); // static initializer
      expect(count('Main.lambda$1')).toEqual([4, 4, 0]); // block lambda in a static field
      expect(count('Main.fib')).toEqual([211, 211, 0]); // recursion: fib(10) and fib(0..5) on threads
      expect(count('Main.classify')).toEqual([4, 4, 0]); // early returns
      expect(count('Main.parse')).toEqual([2, 1, 1]); // a checked exception, rethrown precisely
      expect(count('Main.safeParse')).toEqual([2, 2, 0]);
      expect(count('Main.max')).toEqual([1, 1, 0]); // generic
      expect(count('Main.loopForever')).toEqual([1, 1, 0]); // while (true) with a return
      expect(count('Main.<init>')).toEqual([3, 3, 0]); // this(…) delegation: both constructors
      expect(count('Main.Inner.depth')).toEqual([1, 1, 0]); // inner class
      expect(count('Main.Nested.hello')).toEqual([1, 1, 0]); // nested static class
      expect(count('Main.threads')).toEqual([1, 1, 0]);
      expect(count('Main.threads.lambda$1')).toEqual([6, 6, 0]); // on a thread pool
      expect(count('Main$1.run')).toEqual([1, 1, 0]); // anonymous class on a Thread
      expect(count('Main.local')).toEqual([1, 1, 0]);
      expect(count('Main$1Acc.add')).toEqual([6, 6, 0]); // local class
      expect(count('Main.local.lambda$1')).toBeUndefined(); // statement-expression lambda: skipped
      expect(count('Main.local.lambda$2')).toEqual([3, 3, 0]);
      expect(count('Main.local.lambda$2.lambda$1')).toEqual([3, 3, 0]); // expression lambda in a lambda
      expect(count('Main.main.lambda$1')).toEqual([1, 1, 0]);
      expect(count('Shape.describe', shape)).toEqual([3, 3, 0]); // interface default method
      expect(count('Shape.unit', shape)).toEqual([1, 1, 0]); // interface static method
      expect(count('Shape.Base.<clinit>', shape)).toEqual([1, 1, 0]);
      expect(count('Shape.Base.<instinit>', shape)).toEqual([3, 3, 0]); // instance initializer
      expect(count('Shape.Square.<init>', shape)).toEqual([4, 4, 0]); // after super(…) / this(…)
      expect(count('Shape.Circle.<init>', shape)).toEqual([2, 1, 1]); // record compact constructor, throws
      expect(count('Shape.Kind$1.make', shape)).toEqual([1, 1, 0]); // enum constant body
      expect(count('Shape.Kind$2.make', shape)).toEqual([1, 1, 0]);
      expect(count('Shape.Square.area', shape)).toEqual([3, 3, 0]);
      expect(counts.size).toBe(34);
      const fib = got.find((e) => e.function === 'Main.fib' && e.event === 'exit');
      expect(fib).toMatchObject({ file: main, line: 36 });
      expect(fib?.durationMs).toBeGreaterThanOrEqual(0);
      expect(got.every((e) => typeof e.ts === 'number' && e.ts > 1.6e12)).toBe(true);

      // An uncaught exception: same exit status and the same stack trace (the user's lines), plus errors.
      await rm(events);
      const crashes = [plain(['demo.Main', 'crash']), instrumented(['demo.Main', 'crash'], events)];
      expect(crashes[1]?.status).toBe(crashes[0]?.status);
      expect(crashes[1]?.stderr).toBe(crashes[0]?.stderr);
      expect(crashes[0]?.stderr).toMatch(/Shape\.java:40\)\n\tat demo\.Main\.main\(Main\.java:144\)/);
      expect((await readEvents(events)).map((e) => `${e.event} ${e.function}`)).toEqual([
        'enter Main.<clinit>',
        'exit Main.<clinit>',
        'enter Main.main',
        'enter Shape.Base.<clinit>',
        'exit Shape.Base.<clinit>',
        'enter Shape.Base.<instinit>',
        'exit Shape.Base.<instinit>',
        'enter Shape.Square.<init>',
        'error Shape.Square.<init>',
        'error Main.main',
      ]);

      // Idempotent, and --remove gives the original bytes back.
      const instrumentedTree = await fileTree(out);
      const again = await instrumentTree(engine, { root: out, inPlace: true, languages: ['java'] });
      expect(again.files.instrumented).toEqual([]);
      expect(await fileTree(out)).toEqual(instrumentedTree);
      await removeInstrumentation(out);
      expect(await fileTree(out)).toEqual(await fileTree(src));
    },
    SLOW,
  );

  it.skipIf(!hasJunit)(
    `jsemver (real project): compiles and passes its own JUnit tests as before, events checked${hasJunit ? '' : ` — skipped: ${!hasJava ? NO_JAVA : NO_JUNIT}`}`,
    async () => {
      const { src, out, report } = await instrumentCopy(engine, {
        fixtures: FIXTURES,
        fixture: 'jsemver',
        tmp,
        language: 'java',
      });
      expect(report.runtimeFiles).toEqual(['src/main/java/scriptbox/telemetry/T.java']);
      expect(report.functions.skipped.map((s) => s.reason)).toEqual([
        'abstract method (no body)',
        'abstract method (no body)',
        'abstract method (no body)',
      ]);
      expect(report.functions.instrumented).toBe(201);
      expect(report.files.skipped.filter((f) => f.reason === 'test file')).toHaveLength(21);

      const tests = (await javaSources(join(src, 'src/test/java')))
        .filter((path) => path.endsWith('Test.java'))
        .map((path) => path.replace(/\.java$/, '').replaceAll('/', '.'));
      expect(tests).toHaveLength(21);
      const junit = ['org.junit.runner.JUnitCore', ...tests];
      const plain = (await build(src, join(tmp, 'jsemver-plain'), JUNIT_CLASSPATH))(junit);
      expect(plain.status).toBe(0);
      expect(plain.stdout).toMatch(/\nOK \(202 tests\)\n/);
      const instrumented = await build(out, join(tmp, 'jsemver-instrumented'), JUNIT_CLASSPATH);
      const summary = (text: string): string => text.replace(/\nTime: [\d.,]+\n/, '\nTime: -\n');
      expect(summary(instrumented(junit).stdout)).toBe(summary(plain.stdout));
      const events = join(tmp, 'jsemver-events.jsonl');
      const traced = instrumented(junit, events);
      expect(traced.status, traced.stdout + traced.stderr).toBe(0);
      expect(summary(traced.stdout)).toBe(summary(plain.stdout));

      const got = await readEvents(events);
      expect(unbalanced(got)).toEqual([]);
      const counts = tally(got);
      const ran = (key: string): number =>
        counts.get(`src/main/java/com/github/zafarkhaja/semver/${key}`)?.[0] ?? 0;
      for (const key of [
        'Version.java:Version.valueOf',
        'Version.java:Version.compareTo',
        'VersionParser.java:VersionParser.parseValidSemVer',
        'NormalVersion.java:NormalVersion.<init>',
        'expr/ExpressionParser.java:ExpressionParser.parse',
        'expr/Lexer.java:Lexer.tokenize',
        'util/Stream.java:Stream.consume',
      ])
        expect(ran(key), key).toBeGreaterThan(0);
      expect(counts.size).toBeGreaterThanOrEqual(120); // distinct functions that ran
      // Its tests feed invalid versions on purpose: the parse errors propagate through instrumented frames.
      const errors = got.filter((e) => e.event === 'error');
      expect(errors.length).toBeGreaterThan(50);
      expect(errors.some((e) => e.function === 'VersionParser.parseValidSemVer')).toBe(true);
    },
    SLOW,
  );
});
