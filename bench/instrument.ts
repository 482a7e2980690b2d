/**
 * Instrumentation of a real project for `npm run bench`: `instrumentTree` (scan, analysis, insertion
 * scripts checked and run in the sandbox, rebuild, write) over the vendored more-itertools (a few hundred
 * Python functions), first run (a new library: every script made and checked, every file parsed) and
 * cached run (the same library: scripts and file analyses reused), per function and per step, with an
 * engine made as the CLI makes it, timed as the CLI runs and with the warm sandbox ready (see
 * instrument-runs.ts); next to the original design's own figures (32 ms / 16 ms per function, from its
 * notes; targets 2 ms and 0.5 ms). Plus whole JavaScript trees next to istanbul-lib-instrument
 * (bench/instrument-js.ts).
 */
import { resolve } from 'node:path';
import { benchInstrumentJs } from './instrument-js.js';
import { firstAndCached, instrumentEngine, PairSamples, WARM_MODES } from './instrument-runs.js';

const PROJECT = resolve(import.meta.dirname, '../test/fixtures/instrument/python/more-itertools');
const ORIGINAL_MS_PER_FUNCTION = { firstRun: 32, cachedRun: 16 };
const TARGET_MS_PER_FUNCTION = { firstRun: 2, cachedRun: 0.5 };

const ratio = (ours: number, theirs: number): number => Math.round((ours / theirs) * 1000) / 1000;

export async function benchInstrument(rounds: number): Promise<Record<string, unknown>> {
  const engine = await instrumentEngine();
  try {
    const samples = { cli: new PairSamples(), warmReady: new PairSamples() };
    let functions = 0;
    // Round 0 warms up (grammars, modules, the JIT); the modes take turns in every round.
    for (let round = 0; round < rounds + 1; round++) {
      for (const mode of WARM_MODES) {
        const pair = await firstAndCached(engine, mode, PROJECT);
        functions = pair.first.functions.instrumented;
        if (round > 0) samples[mode].add(pair);
      }
    }
    const modes = Object.fromEntries(
      WARM_MODES.map((mode) => {
        const perFunction = samples[mode].summaries(functions);
        return [
          mode,
          {
            msPerFunction: perFunction,
            stepsP50Ms: samples[mode].steps(),
            ratioVsOriginalP50: {
              firstRun: ratio(perFunction.firstRun.p50Ms, ORIGINAL_MS_PER_FUNCTION.firstRun),
              cachedRun: ratio(perFunction.cachedRun.p50Ms, ORIGINAL_MS_PER_FUNCTION.cachedRun),
            },
          },
        ];
      }),
    );
    return {
      project: 'more-itertools (vendored)',
      functions,
      ...modes,
      originalDesignMsPerFunction: ORIGINAL_MS_PER_FUNCTION,
      targetMsPerFunction: TARGET_MS_PER_FUNCTION,
      javascriptVsIstanbul: await benchInstrumentJs(engine, Math.min(rounds * 2, 10)),
    };
  } finally {
    await engine.close();
  }
}

// `node --import tsx bench/instrument.ts` prints these figures alone (ROUNDS, default 5).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const figures = await benchInstrument(Number(process.env['ROUNDS'] ?? 5));
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
