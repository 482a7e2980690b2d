/**
 * Batch runs: one script over many items with bounded concurrency. Each item reaches the script as JSON on
 * stdin and as the read-only file `item.json` in the work dir. A failing item (script error, limit, even a
 * host error for that item) never stops the others; results come back in input order with a summary.
 */
import { z } from 'zod';
import { enforceCeilings } from './ceilings.js';
import { parseOptions } from '../parse-options.js';
import type { RuntimeRegistry } from '../sandbox/runtimes/registry.js';
import { PartialLimitsSchema, RunOptsSchema, type Limits, type RunOpts } from './options.js';
import { ERROR_KINDS, RunResultSchema, type ErrorKind, type RunResult } from './result.js';
import { baseResult } from './to-result.js';

export const DEFAULT_BATCH_CONCURRENCY = 12;
/** Name of the read-only file holding the item's JSON in each run's work dir. */
export const ITEM_FILE = 'item.json';

/** What a batch result's kind is: `ok`, or the error kind of a failed run. */
export const BatchItemKindSchema = z.enum(['ok', ...ERROR_KINDS]);
export type BatchItemKind = z.infer<typeof BatchItemKindSchema>;

export interface BatchProgress {
  /** Items finished so far (including cancelled ones). */
  done: number;
  total: number;
  succeeded: number;
  failed: number;
  /** Input index of the item that just finished. */
  index: number;
  /** Outcome of that item. */
  kind: BatchItemKind;
}

export const BatchItemResultSchema = z.object({
  index: z.number().int().min(0).describe('Position of the item in items'),
  result: RunResultSchema,
});
export type BatchItemResult = z.infer<typeof BatchItemResultSchema>;

export const BatchSummarySchema = z.object({
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  byKind: z
    .partialRecord(BatchItemKindSchema, z.number().int())
    .describe('Count of results per kind, e.g. { ok: 90, runtime: 8, timeout: 2 }'),
  wallMs: z.number().describe('Wall-clock time of the whole batch'),
  cpuMs: z.number().describe('CPU time summed over every item'),
  cacheHits: z
    .number()
    .int()
    .describe('Runs answered from the script cache (always 0 until the cache exists)'),
});
export type BatchSummary = z.infer<typeof BatchSummarySchema>;

export const BatchResultSchema = z
  .object({
    results: z.array(BatchItemResultSchema).describe('One entry per item, in input order'),
    summary: BatchSummarySchema,
  })
  .describe('One result per item, in input order, and a summary');
export type BatchResult = z.infer<typeof BatchResultSchema>;

/** Why `value` cannot be sent to a script as JSON, or null when it can. */
function jsonProblem(value: unknown): string | null {
  try {
    return JSON.stringify(value) === undefined ? `a ${typeof value} is not JSON` : null;
  } catch (err) {
    return `not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export const BatchOptsSchema = z
  .object({
    script: z
      .object({ language: RunOptsSchema.shape.language, source: RunOptsSchema.shape.source })
      .strict()
      .describe('The script run once per item'),
    items: z
      .array(z.unknown())
      .superRefine((items, ctx) => {
        items.forEach((item, index) => {
          const problem = jsonProblem(item);
          if (problem !== null) ctx.addIssue({ code: 'custom', path: [index], message: problem });
        });
      })
      .describe('The items, each JSON-serialisable; the script gets one per run on stdin and as item.json'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(DEFAULT_BATCH_CONCURRENCY)
      .describe(`Runs in flight at once (default ${DEFAULT_BATCH_CONCURRENCY})`),
    limits: PartialLimitsSchema.optional().describe(
      'Limits for each item run; unset ones come from the engine',
    ),
    signal: z
      .instanceof(AbortSignal)
      .optional()
      .describe('Aborting it starts no more items, cancels running ones; the rest are reported cancelled'),
    onProgress: z
      .custom<(progress: BatchProgress) => void>(
        (value) => typeof value === 'function',
        'expected a function',
      )
      .optional()
      .describe('Called after each item finishes (cancelled ones included) with the counts so far'),
  })
  .strict();
/** What callers pass (`concurrency` may be omitted). */
export type BatchOpts = z.input<typeof BatchOptsSchema>;

/** What a batch needs of its engine (an Engine has it: engine.runBatch(opts) is runBatch(engine, opts)). */
export interface BatchEngine {
  run(opts: RunOpts): Promise<RunResult>;
  readonly runtimes: RuntimeRegistry;
  readonly ceilings: Readonly<Limits>;
}

export function resultKind(result: RunResult): BatchItemKind {
  return result.ok ? 'ok' : (result.error?.kind ?? 'runtime');
}

/**
 * Runs `opts.script` once per item. Rejects only for invalid options, a limit above its ceiling, an unknown
 * language or an exception thrown by `onProgress` (after the runs in flight settle); everything that happens
 * to an item is its result.
 */
export async function runBatch(engine: BatchEngine, opts: BatchOpts): Promise<BatchResult> {
  const started = performance.now();
  const parsed = parseOptions(BatchOptsSchema, opts, 'batch options');
  // Refused as a whole, before any item runs (an item's own failures are its results).
  enforceCeilings(parsed.limits, engine.ceilings);
  const language = engine.runtimes.resolve(parsed.script.language).name;
  const payloads = parsed.items.map((item) => JSON.stringify(item));
  const total = payloads.length;
  const base = baseResult(language, parsed.script.source);
  const placeholder = (kind: ErrorKind, message: string): RunResult => ({
    ...base,
    error: { kind, message },
  });

  // Aborted by the caller's signal, or by us when onProgress throws.
  const stop = new AbortController();
  const signal = parsed.signal ? AbortSignal.any([parsed.signal, stop.signal]) : stop.signal;
  // Each run gets a signal of its own, aborted from here: a run adds its abort listeners to that one, so
  // the batch's signal carries one listener, not several per run in flight (which Node warns about at 11).
  const running = new Set<AbortController>();
  const abortRunning = (): void => {
    for (const run of running) run.abort(signal.reason);
  };
  signal.addEventListener('abort', abortRunning, { once: true });
  const slots: Array<RunResult | undefined> = new Array<RunResult | undefined>(total);
  const counts = { done: 0, succeeded: 0, failed: 0 };
  const callback: { failed: boolean; error: unknown } = { failed: false, error: undefined };

  const settle = (index: number, result: RunResult): void => {
    slots[index] = result;
    const kind = resultKind(result);
    counts.done += 1;
    if (kind === 'ok') counts.succeeded += 1;
    else counts.failed += 1;
    if (!parsed.onProgress || callback.failed) return;
    try {
      parsed.onProgress({ ...counts, total, index, kind });
    } catch (error) {
      callback.failed = true;
      callback.error = error;
      stop.abort();
    }
  };

  const runItem = async (payload: string): Promise<RunResult> => {
    const run = new AbortController();
    running.add(run);
    try {
      return await engine.run({
        language,
        source: parsed.script.source,
        stdin: payload,
        files: [{ name: ITEM_FILE, content: payload }],
        ...(parsed.limits !== undefined ? { limits: parsed.limits } : {}),
        signal: run.signal,
      });
    } catch (err) {
      // A host failure for this item is this item's result; the other items go on.
      return placeholder('sandbox', err instanceof Error ? err.message : String(err));
    } finally {
      running.delete(run);
    }
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (!signal.aborted && next < total) {
      const index = next++;
      settle(index, await runItem(payloads[index] ?? 'null'));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parsed.concurrency, total) }, worker));
  } finally {
    signal.removeEventListener('abort', abortRunning);
  }

  const results: BatchItemResult[] = [];
  for (let index = 0; index < total; index++) {
    let result = slots[index];
    if (result === undefined) {
      result = placeholder('cancelled', 'the batch was cancelled before this item started');
      settle(index, result);
    }
    results.push({ index, result });
  }
  if (callback.failed) throw callback.error;
  return { results, summary: summarise(results, performance.now() - started) };
}

function summarise(results: BatchItemResult[], wallMs: number): BatchSummary {
  const byKind: Partial<Record<BatchItemKind, number>> = {};
  let cpuMs = 0;
  for (const { result } of results) {
    const kind = resultKind(result);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    cpuMs += result.usage.cpuMs;
  }
  const succeeded = byKind.ok ?? 0;
  return {
    total: results.length,
    succeeded,
    failed: results.length - succeeded,
    byKind,
    wallMs: Math.round(wallMs),
    cpuMs,
    cacheHits: 0,
  };
}
