/**
 * JavaScript and TypeScript through the whole pipeline (`instrumentTree`: insertion scripts checked, cached
 * and run in the sandbox, files rebuilt, runtime written): the vendored lru_map's own suite passes
 * unchanged with every call balanced, a second run is all cache hits and changes nothing, and the tricky
 * TypeScript fixture still type-checks and prints the same.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { instrumentTree, removeInstrumentation } from '../../src/workflows/instrument/index.js';
import { readEvents, tally } from '../unit/instrument/js-helpers.js';

const REPO = resolve(import.meta.dirname, '../..');
const FIXTURES = join(REPO, 'test/fixtures/instrument');
const TSC = join(REPO, 'node_modules/.bin/tsc');
const TSX = join(REPO, 'node_modules/.bin/tsx');
const SLOW = 180_000;
let work: string;
let engine: Engine;
let library: Library;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'scriptbox-instrument-js-'));
  engine = await createEngine({ pool: { size: 0 } });
  library = openLibrary({ home: join(work, 'home') });
});

afterAll(async () => {
  library?.close();
  await engine?.close();
  rmSync(work, { recursive: true, force: true });
});

function run(
  command: string,
  args: string[],
  cwd: string,
  telemetry?: string,
): { status: number; out: string } {
  const env = { ...process.env };
  delete env['SCRIPTBOX_TELEMETRY_FILE'];
  if (telemetry !== undefined) env['SCRIPTBOX_TELEMETRY_FILE'] = telemetry;
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

// lru_map's suite prints a test's time when it took over 10 ms: `set ... ok (12ms)`.
const stable = (text: string): string => text.replace(/ *\(\d+(\.\d+)?m?s\)/g, '').replace(/ +$/gm, '');

describe('instrumentTree on JavaScript and TypeScript', () => {
  it(
    'lru_map (vendored, MIT): its own suite passes unchanged, every call balanced; cached, idempotent, removable',
    async () => {
      const src = join(FIXTURES, 'javascript/lru_map');
      const out = join(work, 'lru_map');
      const report = await instrumentTree(engine, { root: src, out, languages: ['javascript'], library });
      expect(report.functions.instrumented).toBe(29);
      expect(report.cache.misses).toBe(29);
      const events = join(work, 'lru.jsonl');
      const before = run('node', ['test.js'], src);
      const after = run('node', ['test.js'], out, events);
      expect([before.status, after.status]).toEqual([0, 0]);
      expect(stable(after.out)).toBe(stable(before.out));
      const { counts, unbalanced } = tally(readEvents(events));
      expect(unbalanced).toEqual([]);
      expect(counts.get('lru.js:LRUMap.set')?.exit ?? 0).toBeGreaterThan(0);
      expect(counts.get('lru.js:LRUMap.assign')?.error).toBe(1); // the suite asserts that it throws

      const again = join(work, 'lru_map-again');
      const second = await instrumentTree(engine, {
        root: src,
        out: again,
        languages: ['javascript'],
        library,
      });
      expect([second.cache.hits, second.cache.misses]).toEqual([29, 0]);
      expect(readFileSync(join(again, 'lru.js'), 'utf8')).toBe(readFileSync(join(out, 'lru.js'), 'utf8'));

      const twice = await instrumentTree(engine, {
        root: out,
        inPlace: true,
        languages: ['javascript'],
        library,
      });
      expect(twice.functions.instrumented).toBe(0);
      await removeInstrumentation(out);
      expect(readFileSync(join(out, 'lru.js'))).toEqual(readFileSync(join(src, 'lru.js')));
    },
    SLOW,
  );

  it(
    'the tricky TypeScript fixture still type-checks and prints the same',
    async () => {
      const src = join(FIXTURES, 'typescript/tricky');
      const out = join(work, 'ts-out');
      const report = await instrumentTree(engine, { root: src, out, languages: ['typescript'], library });
      expect(report.functions.instrumented).toBeGreaterThan(10);
      symlinkSync(join(REPO, 'node_modules'), join(out, 'node_modules'));
      expect(run(TSC, ['-p', 'tsconfig.json'], src)).toEqual({ status: 0, out: '' });
      expect(run(TSC, ['-p', 'tsconfig.json'], out)).toEqual({ status: 0, out: '' });
      const events = join(work, 'ts.jsonl');
      const before = run(TSX, ['driver.ts'], src);
      const after = run(TSX, ['driver.ts'], out, events);
      expect(before.status).toBe(0);
      expect(after).toEqual(before);
      const { counts, unbalanced } = tally(readEvents(events));
      expect(unbalanced).toEqual([]);
      expect(counts.get('lib.ts:Circle.set radius')).toEqual({ enter: 1, exit: 0, error: 1 });
    },
    SLOW,
  );
});
