/**
 * runExtraction(): one script over many sources. Each source's run is granted the network of the source's
 * host only (plus the extra allow entries), gets the source as JSON on stdin and its URL as SOURCE_URL, and
 * prints records (records.ts). Runs go in parallel up to `concurrency`; results keep the input order, and a
 * source's failure is its result, never the others' end. The whole extraction is refused before anything
 * runs when the engine's network policy does not cover every host it needs (NetworkNotPermittedError).
 */
import { z } from 'zod';
import { enforceCeilings } from '../../engine/ceilings.js';
import {
  PartialLimitsSchema,
  RunOptsSchema,
  StreamCallbacksShape,
  type Limits,
  type RunOpts,
} from '../../engine/options.js';
import type { RunResult } from '../../engine/result.js';
import { NetworkNotPermittedError } from '../../errors.js';
import { AllowList } from '../../network/allowlist.js';
import { NetworkLimitsSchema } from '../../network/limits.js';
import { narrowGrant, type NetworkPolicy } from '../../network/policy.js';
import { parseOptions } from '../../parse-options.js';
import type { RuntimeRegistry } from '../../sandbox/runtimes/registry.js';
import { outputFailure, runFailure } from './failure.js';
import { allowEntries, allowFor } from './grant.js';
import { logEntry, type ExtractLogger } from './log.js';
import { parseRecords } from './records.js';
import type {
  ExtractError,
  ExtractionResult,
  ExtractProgress,
  ExtractSummary,
  SourceMetadata,
  SourceResult,
} from './result.js';
import { MAX_SOURCES, redactUrl, SourceSchema, type Source } from './sources.js';

export const DEFAULT_EXTRACT_CONCURRENCY = 4;
/** How much of a failed script's stderr a source result keeps. */
const STDERR_TAIL_CHARS = 4000;

const fn = <T>(what: string) => z.custom<T>((value) => typeof value === 'function', `expected ${what}`);

export const ExtractOptsSchema = z
  .object({
    script: z
      .object({ language: RunOptsSchema.shape.language, source: RunOptsSchema.shape.source })
      .strict()
      .describe('The extraction script, run once per source'),
    sources: z
      .array(SourceSchema)
      .min(1)
      .max(MAX_SOURCES)
      .describe("The sources, in order; each run is granted its source's host only"),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(DEFAULT_EXTRACT_CONCURRENCY)
      .describe(`Sources fetched at once (default ${DEFAULT_EXTRACT_CONCURRENCY})`),
    allow: z
      .array(z.string().min(1))
      .max(256)
      .default([])
      .describe(
        "Extra allow entries granted to every source's run (api.example.com, *.example.org, host:port), " +
          "for scripts that need more than the source's own host",
      ),
    limits: PartialLimitsSchema.optional().describe(
      "Limits of each source's run; unset ones come from the engine",
    ),
    networkLimits: NetworkLimitsSchema.optional().describe(
      "Network limits of each source's run (bytes, requests, timeouts); unset ones come from the policy",
    ),
    signal: z
      .instanceof(AbortSignal)
      .optional()
      .describe(
        'Aborting it starts no more sources and cancels running ones; the rest are reported cancelled',
      ),
    onProgress: fn<(progress: ExtractProgress) => void>('a function')
      .optional()
      .describe('Called after each source finishes, with the counts so far'),
    onSource: fn<(result: SourceResult) => void>('a function')
      .optional()
      .describe("Called with each source's result as it finishes (in completion order)"),
    log: fn<ExtractLogger>('a function')
      .optional()
      .describe('Receives the lifecycle as structured entries (start, each source, completion); no secrets'),
    onNetwork: StreamCallbacksShape.onNetwork.describe(
      "Called with each of the egress proxy's decisions of every run the extraction makes (each source's, " +
        "and with a prompt the first page's fetch and the generation attempts): destination, allowed or " +
        'refused and why, bytes; never payloads. What an audit log records',
    ),
  })
  .strict();
export type ExtractOpts = z.input<typeof ExtractOptsSchema>;
type ParsedExtractOpts = z.output<typeof ExtractOptsSchema>;

/** What an extraction needs of its engine (an Engine has it). */
export interface ExtractEngine {
  run(opts: RunOpts): Promise<RunResult>;
  readonly runtimes: RuntimeRegistry;
  readonly ceilings: Readonly<Limits>;
  /** The operator's network policy; when given, an extraction it does not cover is refused up front. */
  readonly networkPolicy?: NetworkPolicy;
}

/**
 * Checks the options, the limits against the ceilings, the allow entries, and (when the engine has a
 * policy) that the policy covers every host; throws before anything runs.
 */
export function prepareExtraction(engine: ExtractEngine, opts: ExtractOpts): ParsedExtractOpts {
  const parsed = parseOptions(ExtractOptsSchema, opts, 'extraction options');
  enforceCeilings(parsed.limits, engine.ceilings);
  AllowList.parse(parsed.allow, 'allow');
  if (engine.networkPolicy !== undefined) {
    const entries = allowEntries(parsed.sources, parsed.allow);
    narrowGrant(engine.networkPolicy, {
      allow: entries,
      ...(parsed.networkLimits !== undefined ? { limits: parsed.networkLimits } : {}),
    });
  }
  return parsed;
}

/** Runs the script over every source; see the module comment. */
export async function runExtraction(engine: ExtractEngine, opts: ExtractOpts): Promise<ExtractionResult> {
  const started = performance.now();
  const parsed = prepareExtraction(engine, opts);
  const language = engine.runtimes.resolve(parsed.script.language).name;
  const { sources, log } = parsed;
  const total = sources.length;
  log?.(logEntry('info', 'extract.start', { sources: total, language, concurrency: parsed.concurrency }));

  const slots: Array<SourceResult | undefined> = new Array<SourceResult | undefined>(total);
  const counts = { done: 0, succeeded: 0, failed: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const source = sources[index] as Source;
      const result = parsed.signal?.aborted
        ? cancelledResult(index, source)
        : await runSource(engine, parsed, language, index, source);
      slots[index] = result;
      counts.done += 1;
      if (result.ok) counts.succeeded += 1;
      else counts.failed += 1;
      const kind = result.error?.kind ?? 'ok';
      parsed.onSource?.(result);
      parsed.onProgress?.({ ...counts, total, index, url: source.url, kind });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parsed.concurrency, total) }, () => worker()));

  const results = slots.map((slot, index) => slot ?? cancelledResult(index, sources[index] as Source));
  const summary = summarise(results, performance.now() - started);
  log?.(
    logEntry(summary.failed === 0 ? 'info' : 'warn', 'extract.done', {
      sources: summary.sources,
      succeeded: summary.succeeded,
      failed: summary.failed,
      records: summary.records,
      durationMs: summary.durationMs,
    }),
  );
  return { ok: summary.failed === 0, language, sources: results, summary };
}

const EMPTY_METADATA: SourceMetadata = {
  durationMs: 0,
  cpuMs: 0,
  bytesIn: 0,
  bytesOut: 0,
  requests: 0,
  statuses: [],
  refused: [],
  recordCount: 0,
};

function failedResult(index: number, source: Source, error: ExtractError): SourceResult {
  return {
    index,
    url: source.url,
    source,
    ok: false,
    records: [],
    error,
    metadata: EMPTY_METADATA,
    stderr: '',
  };
}

function cancelledResult(index: number, source: Source): SourceResult {
  return failedResult(index, source, {
    kind: 'cancelled',
    message: 'the extraction was cancelled before this source ran',
    hint: 'run the extraction again to get this source',
    runKind: 'cancelled',
  });
}

async function runSource(
  engine: ExtractEngine,
  opts: ParsedExtractOpts,
  language: string,
  index: number,
  source: Source,
): Promise<SourceResult> {
  const target = redactUrl(source.url);
  const allow = allowFor(source, opts.allow);
  opts.log?.(logEntry('info', 'source.start', { index, target }));
  let run: RunResult;
  try {
    run = await engine.run({
      language,
      source: opts.script.source,
      stdin: JSON.stringify(source),
      env: { SOURCE_URL: source.url },
      network: { allow, ...(opts.networkLimits !== undefined ? { limits: opts.networkLimits } : {}) },
      ...(opts.limits !== undefined ? { limits: opts.limits } : {}),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      ...(opts.onNetwork !== undefined ? { onNetwork: opts.onNetwork } : {}),
    });
  } catch (err) {
    // A host failure for this source is this source's result; the others go on.
    const message = err instanceof Error ? err.message : String(err);
    const network = err instanceof NetworkNotPermittedError;
    const error: ExtractError = {
      kind: network ? 'network' : 'sandbox',
      message,
      hint: network
        ? 'the server does not grant this host: ask its operator, or leave the source out'
        : 'the sandbox failed, not the script: run `scriptbox doctor`',
      runKind: null,
    };
    opts.log?.(
      logEntry('error', 'source.error', {
        index,
        target,
        kind: error.kind,
        message: redact(message, source),
      }),
    );
    return failedResult(index, source, error);
  }
  const report = run.network;
  const metadata: SourceMetadata = {
    durationMs: Math.round(run.usage.wallMs),
    cpuMs: Math.round(run.usage.cpuMs),
    bytesIn: report?.bytesIn ?? 0,
    bytesOut: report?.bytesOut ?? 0,
    requests: report?.requests ?? 0,
    statuses: report?.statuses ?? [],
    refused: report?.refused ?? [],
    recordCount: 0,
  };
  const stderr = run.stderr.slice(-STDERR_TAIL_CHARS);
  let error: ExtractError | null = null;
  let records: SourceResult['records'] = [];
  if (!run.ok) {
    error = runFailure({ run, allow, metadata, networkLimit: report?.limit ?? null });
  } else {
    const parsedRecords = parseRecords(run.stdout);
    if (parsedRecords.ok) records = parsedRecords.records;
    else error = outputFailure(parsedRecords.message);
  }
  metadata.recordCount = records.length;
  if (error) {
    opts.log?.(
      logEntry('error', 'source.error', {
        index,
        target,
        kind: error.kind,
        message: redact(error.message, source),
        durationMs: metadata.durationMs,
      }),
    );
  } else {
    opts.log?.(
      logEntry('info', 'source.done', {
        index,
        target,
        durationMs: metadata.durationMs,
        records: records.length,
        requests: metadata.requests,
        bytesIn: metadata.bytesIn,
      }),
    );
  }
  return { index, url: source.url, source, ok: error === null, records, error, metadata, stderr };
}

/** `text` with the source's full URL (which may carry a key in its query) shown redacted. */
function redact(text: string, source: Source): string {
  return text.replaceAll(source.url, redactUrl(source.url));
}

function summarise(results: readonly SourceResult[], durationMs: number): ExtractSummary {
  const byKind: ExtractSummary['byKind'] = {};
  let records = 0;
  for (const result of results) {
    const kind = result.error?.kind ?? 'ok';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    records += result.records.length;
  }
  const succeeded = byKind.ok ?? 0;
  return {
    sources: results.length,
    succeeded,
    failed: results.length - succeeded,
    records,
    durationMs: Math.round(durationMs),
    byKind,
  };
}
