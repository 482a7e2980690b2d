/**
 * Instrumentation of a real project for `npm run bench`: `instrumentTree` (scan, analysis, insertion
 * scripts checked and run in the sandbox, rebuild, write) over the vendored more-itertools (a few hundred
 * Python functions), first run (empty script cache) and cached run (every script from the library's cache),
 * per function, next to the original design's own figures (32 ms / 16 ms per function, from its notes;
 * targets 2 ms and 0.5 ms); plus the JavaScript side next to istanbul-lib-instrument (bench/instrument-js.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Engine } from '../src/index.js';
import { openLibrary } from '../src/library/index.js';
import { instrumentTree } from '../src/workflows/instrument/index.js';
import { benchInstrumentJs } from './instrument-js.js';
import { summarize } from './stats.js';

const PROJECT = resolve(import.meta.dirname, '../test/fixtures/instrument/python/more-itertools');
const ORIGINAL_MS_PER_FUNCTION = { firstRun: 32, cachedRun: 16 };
const TARGET_MS_PER_FUNCTION = { firstRun: 2, cachedRun: 0.5 };

export async function benchInstrument(engine: Engine, rounds: number): Promise<Record<string, unknown>> {
  const first: number[] = [];
  const cached: number[] = [];
  let functions = 0;
  for (let round = 0; round < rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'scriptbox-bench-instrument-'));
    const library = openLibrary({ home: join(dir, 'home') });
    try {
      for (const [name, samples] of [
        ['first', first],
        ['cached', cached],
      ] as const) {
        const started = performance.now();
        const report = await instrumentTree(engine, { root: PROJECT, out: join(dir, name), library });
        const ms = performance.now() - started;
        functions = report.functions.instrumented;
        if (name === 'cached' && report.cache.misses !== 0)
          throw new Error('the cached run missed the cache');
        samples.push(ms / functions);
      }
    } finally {
      library.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const firstRun = summarize('firstRunMsPerFunction', first);
  const cachedRun = summarize('cachedRunMsPerFunction', cached);
  return {
    project: 'more-itertools (vendored)',
    functions,
    firstRun,
    cachedRun,
    originalDesignMsPerFunction: ORIGINAL_MS_PER_FUNCTION,
    targetMsPerFunction: TARGET_MS_PER_FUNCTION,
    ratioVsOriginalP50: {
      firstRun: Math.round((firstRun.p50Ms / ORIGINAL_MS_PER_FUNCTION.firstRun) * 1000) / 1000,
      cachedRun: Math.round((cachedRun.p50Ms / ORIGINAL_MS_PER_FUNCTION.cachedRun) * 1000) / 1000,
    },
    javascriptVsIstanbul: await benchInstrumentJs(Math.min(rounds, 10)),
  };
}
