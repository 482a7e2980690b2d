/**
 * `npm run bench`: figures as JSON on stdout, each against baselines measured side by side in the same
 * rounds (each round runs every case once, in turn).
 *   coldTrivialPython: the CLI's path (a sandbox started for the run) vs bare `/usr/bin/python3 -c pass`
 *     and bare bubblewrap running the same, so the sandbox's own cost is visible.
 *   warmTrivialPython: a one-shot run served by the engine's warm pool (refilled, untimed, before each
 *     round) vs the same baselines.
 *   trivialPythonInSession, pandasDescribeCorr10kRows, throughput: see bench/sessions.ts.
 *   notebookVsJupyterKernel: print(1) and pandas describe+corr in a warm stateful session vs a warm
 *     Jupyter kernel, see bench/notebook.ts.
 *   httpLoad: one-shot runs at concurrency 32 through POST /v1/runs vs engine.run, see bench/http.ts.
 *   descriptiveAnalysis10kRows: a chat turn `/script descriptive` vs the same script under bare python3 and
 *     the direct engine, see bench/analysis.ts.
 *   egressProxy1MiB: a 1 MiB download through the egress proxy vs straight from the host, and inside a
 *     granted session, see bench/network.ts.
 *   instrumentation: instrumentTree over a vendored Python project, first and cached run per function,
 *     next to the original design's figures, and whole JavaScript trees next to istanbul, on an engine of
 *     its own made as the CLI makes it, see bench/instrument.ts (runnable alone: node --import tsx).
 *   generation: template render time and cache-hit time (in memory and the library's SQLite cache), see
 *     bench/generate.ts.
 */
import { cpus, release } from 'node:os';
import { createEngine, type Engine } from '../src/index.js';
import { benchAnalysis } from './analysis.js';
import { benchGenerate } from './generate.js';
import { benchHttpLoad } from './http.js';
import { benchInstrument } from './instrument.js';
import { benchNetwork } from './network.js';
import { benchNotebook } from './notebook.js';
import { benchSessions, spawnAndWait } from './sessions.js';
import { interleave, type Summary } from './stats.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 60);
const PYTHON = '/usr/bin/python3';
const BARE_BWRAP = [
  ...['--unshare-all', '--die-with-parent', '--ro-bind', '/usr', '/usr'],
  ...['--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin'],
  ...['--proc', '/proc', '--dev', '/dev', PYTHON, '-c', 'pass'],
];

async function trivialRun(engine: Engine): Promise<void> {
  const result = await engine.run({ language: 'python', source: 'pass' });
  if (!result.ok) throw new Error(`scriptbox run failed: ${JSON.stringify(result.error)}`);
}

const baselines = {
  barePython: () => spawnAndWait(PYTHON, ['-c', 'pass']),
  bareBwrapPython: () => spawnAndWait('bwrap', BARE_BWRAP),
};

function compare(results: Record<string, Summary>, candidate: string): Record<string, unknown> {
  const ours = results[candidate];
  const { barePython, bareBwrapPython } = results;
  if (!ours || !barePython || !bareBwrapPython) throw new Error('missing samples');
  return {
    ...results,
    ratioVsBarePythonP50: round(ours.p50Ms / barePython.p50Ms),
    overheadVsBareBwrapP50Ms: round(ours.p50Ms - bareBwrapPython.p50Ms),
  };
}

async function main(): Promise<void> {
  const cold = await createEngine({ pool: { size: 0 } });
  const warm = await createEngine({ pool: { size: 1 } });
  try {
    const coldResults = await interleave({ ...baselines, scriptboxCold: () => trivialRun(cold) }, ROUNDS);
    const warmResults = await interleave(
      { ...baselines, scriptboxWarm: () => trivialRun(warm) },
      ROUNDS,
      5,
      () => warm.warm('python'),
    );
    const report = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        kernel: release(),
        node: process.version,
      },
      coldTrivialPython: compare(coldResults, 'scriptboxCold'),
      warmTrivialPython: compare(warmResults, 'scriptboxWarm'),
      ...(await benchSessions(cold, ROUNDS)),
      notebookVsJupyterKernel: await benchNotebook(cold, ROUNDS),
      descriptiveAnalysis10kRows: await benchAnalysis(cold, ROUNDS),
      generation: await benchGenerate(),
      httpLoad: await benchHttpLoad(),
      egressProxy1MiB: await benchNetwork(Math.min(ROUNDS, 30)),
      instrumentation: await benchInstrument(Math.min(ROUNDS, 5)),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await Promise.all([cold.close(), warm.close()]);
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await main();
