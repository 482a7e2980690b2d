/**
 * One analysis, end to end: generate its script from the `stats` template (through the cache when one is
 * given), run it where the dataset is (a session's work dir, or a one-shot sandbox given the file), and
 * turn what it printed and drew into a result, presentation blocks and chart files. A script's failure
 * (its own `{"error": ...}` or a limit it hit) becomes a user-facing message, never an exception.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withinCeilings } from '../../engine/ceilings.js';
import type { Engine } from '../../engine/engine.js';
import type { PartialLimits } from '../../engine/options.js';
import type { RunResult } from '../../engine/result.js';
import type { Session } from '../../engine/session.js';
import type { GenerationCache } from '../../generate/cache.js';
import { generateFromTemplate } from '../../generate/from-template.js';
import type { TemplateRegistry } from '../../generate/registry.js';
import { megabytes } from '../../text.js';
import type { Dataset } from './dataset.js';
import type { AnalysisSpec, Block } from './spec.js';

/**
 * Runs a generated script where the dataset is, copying what it writes under out/ into `outDir`. `limits`
 * are what the template asks for; a runner's own limits (the caller's policy) take precedence. Aborting
 * `signal` cancels the run: it ends with kind `cancelled`, its sandbox freed.
 */
export type AnalysisRunner = (job: {
  language: string;
  source: string;
  outDir: string;
  limits: PartialLimits;
  signal?: AbortSignal;
}) => Promise<RunResult>;

export interface AnalysisRun {
  spec: AnalysisSpec;
  /** The template parameters, defaults filled in. */
  params: Record<string, unknown>;
  script: { templateId: string; fileName: string; source: string };
  run: RunResult;
  /** The script's JSON result, when it succeeded. */
  result?: Record<string, unknown>;
  /** What went wrong, for the user, when it did not. */
  error?: string;
  /** The PNGs the script wrote under out/, in name order. */
  charts: { name: string; bytes: Uint8Array }[];
  blocks: Block[];
}

export interface RunAnalysisOpts {
  registry: TemplateRegistry;
  dataset: Dataset;
  spec: AnalysisSpec;
  params?: Record<string, unknown>;
  runner: AnalysisRunner;
  cache?: GenerationCache;
  /**
   * Aborting it cancels the analysis's run (given to the runner): the result is then a failure whose
   * `run.error.kind` is `cancelled`, and nothing of it is left (its sandbox, its out/ copy).
   */
  signal?: AbortSignal;
}

/**
 * Generates, runs and reads one analysis. A failed or cancelled run is a result with `error` set, never
 * an exception.
 */
export async function runAnalysis(opts: RunAnalysisOpts): Promise<AnalysisRun> {
  const { registry, dataset, spec } = opts;
  const generated = generateFromTemplate(registry, {
    id: spec.templateId,
    params: { ...opts.params, file: dataset.fileName },
    ...(opts.cache ? { cache: opts.cache } : {}),
  });
  const script = { templateId: spec.templateId, fileName: generated.fileName, source: generated.source };
  const limits = registry.get(spec.templateId).limits;
  const outDir = await mkdtemp(join(tmpdir(), 'scriptbox-analysis-'));
  try {
    const { language, source } = generated;
    const run = await opts.runner({ language, source, outDir, limits, signal: opts.signal });
    const charts = await readCharts(outDir, run);
    const base = { spec, params: generated.params, script, run, charts };
    const result = run.ok ? parseResult(run.stdout) : undefined;
    if (result === undefined) {
      const error = failureMessage(spec, run);
      return { ...base, error, blocks: [{ kind: 'text', text: error }] };
    }
    return { ...base, result, blocks: spec.present(result) };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function readCharts(outDir: string, run: RunResult): Promise<AnalysisRun['charts']> {
  const pngs = run.files.filter((file) => file.path.endsWith('.png')).map((file) => file.path);
  pngs.sort();
  return Promise.all(
    pngs.map(async (path) => ({
      name: path.split('/').pop() ?? path,
      bytes: await readFile(join(outDir, path)),
    })),
  );
}

/** The one JSON object a template prints last; undefined when the output is not one. */
function parseResult(stdout: string): Record<string, unknown> | undefined {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed: unknown = JSON.parse(last);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface PresentedResult {
  spec: AnalysisSpec;
  result: Record<string, unknown>;
  blocks: Block[];
}

/**
 * The analysis result in a script's output, presented as runAnalysis presents it: the JSON object a `stats`
 * template prints last names its template, so a saved copy of an analysis script (a library script run
 * again) reads like the analysis did. Undefined when the output is no such result, or no longer has its
 * analysis's shape (an edited copy): that output is shown as it is.
 */
export function presentedResult(
  stdout: string,
  analyses: readonly AnalysisSpec[],
): PresentedResult | undefined {
  const result = parseResult(stdout);
  const template = result?.['template'];
  const spec = analyses.find((analysis) => analysis.templateId === template);
  if (result === undefined || spec === undefined || typeof result['error'] === 'string') return undefined;
  try {
    return { spec, result, blocks: spec.present(result) };
  } catch {
    // present() validates the shape it reads (zod); an edited script's own shape is shown raw instead.
    return undefined;
  }
}

function failureMessage(spec: AnalysisSpec, run: RunResult): string {
  const printed = parseResult(run.stdout);
  if (printed && typeof printed.error === 'string') return `${spec.name}: ${printed.error}`;
  if (run.ok) return `${spec.name}: the script printed no result (this is a bug in its template)`;
  const kind = run.error?.kind;
  if (kind === 'cancelled') return `${spec.name} was cancelled before it finished`;
  if (kind === 'timeout' || kind === 'cpu') {
    return `${spec.name} took too long (${run.error?.message ?? kind}); try fewer columns or a smaller file`;
  }
  if (kind === 'memory') return `${spec.name} ran out of memory; try fewer columns or a smaller file`;
  return `${spec.name} failed: ${run.error?.message ?? `exit code ${String(run.exitCode)}`}`;
}

/** "ran in 41 ms · CPU 35 ms · peak memory 63.9 MB" (decimal MB, as every size a person reads). */
export function usageLine(run: RunResult): string {
  const { wallMs, cpuMs, peakMemoryBytes } = run.usage;
  const memory = peakMemoryBytes > 0 ? ` · peak memory ${megabytes(peakMemoryBytes)}` : '';
  return `ran in ${Math.round(wallMs)} ms · CPU ${Math.round(cpuMs)} ms${memory}`;
}

/** Runs in a session whose work dir already holds the dataset (see uploadDataset). */
export function sessionRunner(session: Session, limits: PartialLimits = {}): AnalysisRunner {
  return (job) =>
    session.run({
      source: job.source,
      outDir: job.outDir,
      limits: { ...job.limits, ...limits },
      signal: job.signal,
    });
}

/** Runs in a one-shot sandbox, the dataset given as its canonical CSV under its safe name. */
export function oneShotRunner(engine: Engine, dataset: Dataset, limits: PartialLimits = {}): AnalysisRunner {
  return (job) =>
    engine.run({
      language: job.language,
      source: job.source,
      outDir: job.outDir,
      files: [{ name: dataset.fileName, content: dataset.csv }],
      // What the template asks for fits under the engine's ceilings; the caller's limits are checked as asked.
      limits: { ...withinCeilings(job.limits, engine.ceilings), ...limits },
      signal: job.signal,
    });
}

/** Puts the dataset's canonical CSV into the session's work dir under its safe name. */
export async function uploadDataset(session: Session, dataset: Dataset): Promise<void> {
  await session.uploadFile(dataset.fileName, dataset.csv);
}
