/**
 * JavaScript instrumentation, ours next to istanbul-lib-instrument (the coverage instrumenter most JS tools
 * use) on the same files, side by side round by round.
 *
 * Whole trees (`wholeTree`): ours is `instrumentTree` — scan, analysis, insertion scripts checked and run
 * in the sandbox, rebuild, the copy of the tree, runtime file and manifest — a first run (a new library:
 * every script made, checked and every file parsed) and a cached run (the same library: scripts and
 * analyses reused, the scripts still run in the sandbox), each timed as the CLI runs and with the warm
 * sandbox ready (instrument-runs.ts). istanbul reads the files ours instrumented,
 * instruments each (Babel parse, counters for every function, statement and branch, code generation) and
 * writes it out; it keeps nothing between runs, so its one figure stands against both of ours. The trees:
 * the vendored lru_map fixture (29 functions: fixed costs dominate) and commander's lib/ (a dependency,
 * 275 functions in 6 files), each read where it is and written to a temp dir.
 *
 * In process (`languageSideInProcess`): the language-side work alone (tree-sitter parse, analysis, every
 * function's edits with anchors checked, prelude, rebuild) on acorn's dist/acorn.js, which the scanner
 * would skip as minified (a few long lines), next to istanbul on the same text.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from '../src/check/parsers.js';
import type { Engine } from '../src/index.js';
import type { FileContext } from '../src/workflows/instrument/language.js';
import { support } from '../src/workflows/instrument/languages/javascript.js';
import type { Edit } from '../src/workflows/instrument/model.js';
import { applyEdits } from '../src/workflows/instrument/rebuild.js';
import {
  firstAndCached,
  instrumentEngine,
  PairSamples,
  WARM_MODES,
  type WarmMode,
} from './instrument-runs.js';
import { interleave, summarize, type Summary } from './stats.js';

interface Istanbul {
  createInstrumenter(opts?: Record<string, unknown>): {
    instrumentSync(code: string, filename: string): string;
  };
}

const require = createRequire(import.meta.url);
const REPO = resolve(import.meta.dirname, '..');
const loadIstanbul = (): Istanbul => require('istanbul-lib-instrument') as Istanbul;

/** The trees measured whole: [name, root]. */
export function benchJsTrees(): Array<[string, string]> {
  return [
    ['lru_map (vendored fixture)', join(REPO, 'test/fixtures/instrument/javascript/lru_map')],
    ['commander/lib (a dependency)', join(dirname(require.resolve('commander')), 'lib')],
  ];
}

/** istanbul over `files` of `root`: read, instrument, write under `out`. */
function istanbulTree(istanbul: Istanbul, root: string, files: readonly string[], out: string): void {
  for (const file of files) {
    const instrumenter = istanbul.createInstrumenter({ esModules: file.endsWith('.mjs') });
    const code = instrumenter.instrumentSync(readFileSync(join(root, file), 'utf8'), join(root, file));
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file), code);
  }
}

const ms = (value: number): number => Math.round(value * 1000) / 1000;
const ratio = (theirs: number, ours: number): number => Math.round((theirs / ours) * 100) / 100;

export interface JsTreeBench {
  project: string;
  files: string[];
  functions: number;
  istanbul: Summary;
  istanbulPerFunctionP50Ms: number;
  /** Ours as the CLI runs and with the warm sandbox ready (instrument-runs.ts). */
  ours: Record<
    WarmMode,
    {
      firstRun: Summary;
      cachedRun: Summary;
      perFunctionP50Ms: { firstRun: number; cachedRun: number };
      /** istanbul's p50 over ours: above 1, ours is faster. */
      speedupP50: { firstRun: number; cachedRun: number };
      /** Where our time goes (ms per step, median). */
      stepsP50Ms: { firstRun: Record<string, number>; cachedRun: Record<string, number> };
    }
  >;
}

/**
 * One tree: in every round, ours first and cached in each mode, then istanbul on the files ours
 * instrumented; `warmup` rounds first (grammars, Babel, the JIT).
 */
export async function benchJsTree(
  engine: Engine,
  project: string,
  root: string,
  rounds: number,
  warmup = 2,
): Promise<JsTreeBench> {
  const istanbul = loadIstanbul();
  const samples = { cli: new PairSamples(), warmReady: new PairSamples() };
  const istanbulMs: number[] = [];
  let files: string[] = [];
  let functions = 0;
  for (let round = 0; round < warmup + rounds; round++) {
    for (const mode of WARM_MODES) {
      const pair = await firstAndCached(engine, mode, root, ['javascript']);
      files = pair.first.files.instrumented;
      functions = pair.first.functions.instrumented;
      if (round >= warmup) samples[mode].add(pair);
    }
    const out = mkdtempSync(join(tmpdir(), 'scriptbox-bench-istanbul-'));
    try {
      const started = performance.now();
      istanbulTree(istanbul, root, files, out);
      if (round >= warmup) istanbulMs.push(performance.now() - started);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const theirs = summarize('istanbul', istanbulMs);
  const ours = Object.fromEntries(
    WARM_MODES.map((mode) => {
      const { firstRun, cachedRun } = samples[mode].summaries();
      return [
        mode,
        {
          firstRun,
          cachedRun,
          perFunctionP50Ms: {
            firstRun: ms(firstRun.p50Ms / functions),
            cachedRun: ms(cachedRun.p50Ms / functions),
          },
          speedupP50: {
            firstRun: ratio(theirs.p50Ms, firstRun.p50Ms),
            cachedRun: ratio(theirs.p50Ms, cachedRun.p50Ms),
          },
          stepsP50Ms: samples[mode].steps(),
        },
      ];
    }),
  ) as JsTreeBench['ours'];
  return {
    project,
    files,
    functions,
    istanbul: theirs,
    istanbulPerFunctionP50Ms: ms(theirs.p50Ms / functions),
    ours,
  };
}

/** Ours, in process: parse, analyse, edits, prelude, rebuild. Returns the functions instrumented. */
export async function instrumentJsInProcess(relPath: string, source: string): Promise<number> {
  const parsed = await parse(support.grammar, source);
  if (!parsed.ok) throw new Error(parsed.message);
  const analysis = support.analyze(parsed.root, source, relPath);
  const context: FileContext = { relPath, source, analysis, treeRoot: '/nonexistent' };
  const bytes = Buffer.from(source, 'utf8');
  const edits: Edit[] = [];
  const done = [];
  for (const fn of analysis.functions) {
    const request = support.insertion(fn, context);
    if ('skip' in request) continue;
    const base = fn.span.start.byte;
    for (const edit of request.edits) {
      const at = base + edit.at;
      if (bytes.toString('utf8', at, at + Buffer.byteLength(edit.expect)) !== edit.expect)
        throw new Error(`anchor mismatch in ${fn.qualifiedName}`);
      edits.push({ at, delete: edit.delete, insert: edit.insert });
    }
    done.push(fn);
  }
  applyEdits(bytes, [...support.prelude(context, done), ...edits]);
  return done.length;
}

export interface JsInProcessBench {
  file: string;
  functions: number;
  ours: Summary;
  istanbul: Summary;
  oursPerFunctionMs: number;
  istanbulPerFunctionMs: number;
  /** istanbul's p50 over ours: above 1, ours is faster. */
  speedupP50: number;
}

/** The language side alone on acorn.js, ours and istanbul interleaved after a warm-up. */
export async function benchJsInProcess(rounds: number): Promise<JsInProcessBench> {
  const istanbul = loadIstanbul().createInstrumenter({ esModules: false });
  const name = 'acorn/dist/acorn.js';
  const source = readFileSync(join(dirname(require.resolve('acorn')), 'acorn.js'), 'utf8');
  const functions = await instrumentJsInProcess(name, source);
  const results = await interleave(
    {
      ours: () => instrumentJsInProcess(name, source),
      istanbul: () => Promise.resolve(istanbul.instrumentSync(source, name)),
    },
    rounds,
  );
  const ours = results['ours'] as Summary;
  const theirs = results['istanbul'] as Summary;
  return {
    file: name,
    functions,
    ours,
    istanbul: theirs,
    oursPerFunctionMs: ms(ours.p50Ms / functions),
    istanbulPerFunctionMs: ms(theirs.p50Ms / functions),
    speedupP50: ratio(theirs.p50Ms, ours.p50Ms),
  };
}

export async function benchInstrumentJs(
  engine: Engine,
  rounds = 10,
): Promise<{ wholeTree: JsTreeBench[]; languageSideInProcess: JsInProcessBench }> {
  const wholeTree: JsTreeBench[] = [];
  for (const [project, root] of benchJsTrees())
    wholeTree.push(await benchJsTree(engine, project, root, rounds));
  return { wholeTree, languageSideInProcess: await benchJsInProcess(Math.max(rounds, 10)) };
}

// `node --import tsx bench/instrument-js.ts` prints the figures on its own (ROUNDS, default 10).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const engine = await instrumentEngine();
  try {
    console.log(
      JSON.stringify(await benchInstrumentJs(engine, Number(process.env['ROUNDS'] ?? 10)), null, 2),
    );
  } finally {
    await engine.close();
  }
}
