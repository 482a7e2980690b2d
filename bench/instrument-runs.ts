/**
 * What the instrumentation benches share: an engine made as `scriptbox instrument` makes it (INSTRUMENT_POOL:
 * one warm sandbox with `json` preloaded, no refill), and a first run (a new library) plus a cached run
 * (the same library) of `instrumentTree`, timed in two ways:
 *   cli:        as the CLI runs — the warm sandbox starts when instrumentation starts, while the tree is
 *               scanned and analysed, and the first batch waits for what is left of its start;
 *   warmReady:  as a long-lived engine with a warm pool serves a run (the service) — the sandbox is
 *               started and waiting before the clock starts (the wait is not timed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/index.js';
import { openLibrary } from '../src/library/index.js';
import {
  INSTRUMENT_POOL,
  instrumentTree,
  type InstrumentLanguage,
  type InstrumentResult,
} from '../src/workflows/instrument/index.js';
import { summarize, type Summary } from './stats.js';

export const WARM_MODES = ['cli', 'warmReady'] as const;
export type WarmMode = (typeof WARM_MODES)[number];

type Timings = InstrumentResult['timings'];

export function instrumentEngine(): Promise<Engine> {
  return createEngine({ pool: INSTRUMENT_POOL });
}

export interface RunPair {
  first: InstrumentResult;
  cached: InstrumentResult;
  firstMs: number;
  cachedMs: number;
}

/** A first and a cached run of `root` (a new library in a temp dir, removed afterwards). */
export async function firstAndCached(
  engine: Engine,
  mode: WarmMode,
  root: string,
  languages?: InstrumentLanguage[],
): Promise<RunPair> {
  const dir = mkdtempSync(join(tmpdir(), 'scriptbox-bench-instrument-'));
  const library = openLibrary({ home: join(dir, 'home') });
  try {
    const run = async (name: string): Promise<[InstrumentResult, number]> => {
      if (mode === 'warmReady') await engine.warm('python');
      const started = performance.now();
      const report = await instrumentTree(engine, {
        root,
        out: join(dir, name),
        library,
        ...(languages ? { languages } : {}),
      });
      return [report, performance.now() - started];
    };
    const [first, firstMs] = await run('first');
    const [cached, cachedMs] = await run('cached');
    if (cached.cache.misses !== 0 || cached.cache.analysesReused !== cached.files.scanned)
      throw new Error(`the cached run missed: ${JSON.stringify(cached.cache)}`);
    return { first, cached, firstMs, cachedMs };
  } finally {
    library.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per step, the median over the runs. */
export function stepMedians(runs: readonly Timings[]): Record<string, number> {
  const steps = Object.keys(runs[0] ?? {}) as Array<keyof Timings>;
  return Object.fromEntries(
    steps.map((step) => [
      step,
      summarize(
        step,
        runs.map((run) => run[step]),
      ).p50Ms,
    ]),
  );
}

/** Samples of first and cached runs in one mode, and their summaries. */
export class PairSamples {
  readonly firstMs: number[] = [];
  readonly cachedMs: number[] = [];
  readonly firstSteps: Timings[] = [];
  readonly cachedSteps: Timings[] = [];

  add(pair: RunPair): void {
    this.firstMs.push(pair.firstMs);
    this.cachedMs.push(pair.cachedMs);
    this.firstSteps.push(pair.first.timings);
    this.cachedSteps.push(pair.cached.timings);
  }

  /** Summaries in ms (divided by `per`: per function when it is the function count). */
  summaries(per = 1): { firstRun: Summary; cachedRun: Summary } {
    return {
      firstRun: summarize(
        'firstRun',
        this.firstMs.map((ms) => ms / per),
      ),
      cachedRun: summarize(
        'cachedRun',
        this.cachedMs.map((ms) => ms / per),
      ),
    };
  }

  steps(): { firstRun: Record<string, number>; cachedRun: Record<string, number> } {
    return { firstRun: stepMedians(this.firstSteps), cachedRun: stepMedians(this.cachedSteps) };
  }
}
