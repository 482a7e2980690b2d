/**
 * instrumentArchive(engine, opts): what the HTTP route and the MCP tool do with an uploaded tree — unpack
 * the archive into a fresh temp dir (index.ts, under the limits), instrumentTree() it into a second one,
 * pack that as tar.gz or zip, and answer the report (no host path in it) with the archive. The temp dirs
 * are removed whatever happens.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Engine } from '../../../engine/engine.js';
import type { RunResult } from '../../../engine/result.js';
import { InvalidOptionsError, ScriptboxError } from '../../../errors.js';
import type { Library } from '../../../library/index.js';
import { parseOptions } from '../../../parse-options.js';
import { InstrumentOptsSchema, instrumentTree } from '../instrument.js';
import { MANIFEST_NAME, readManifest } from '../manifest.js';
import {
  ARCHIVE_FORMATS,
  ARCHIVE_MEDIA_TYPES,
  ArchiveLimitsSchema,
  extractArchive,
  packTree,
  replyFormat,
  type ArchiveFormat,
} from './index.js';

export const InstrumentArchiveOptsSchema = z
  .object({
    archive: z.instanceof(Buffer).describe('The tree as a tar, tar.gz or zip'),
    languages: InstrumentOptsSchema.shape.languages,
    exclude: InstrumentOptsSchema.shape.exclude,
    workers: InstrumentOptsSchema.shape.workers,
    format: z
      .enum(ARCHIVE_FORMATS)
      .optional()
      .describe('The instrumented archive as tar.gz or zip (default: zip for a zip, else tar.gz)'),
    limits: ArchiveLimitsSchema.optional().describe(
      'What the archive may hold (default DEFAULT_ARCHIVE_LIMITS)',
    ),
    library: z.custom<Library>((value) => typeof value === 'object' && value !== null).optional(),
    signal: z.instanceof(AbortSignal).optional(),
    onProgress: InstrumentOptsSchema.shape.onProgress,
  })
  .strict();
export type InstrumentArchiveOpts = z.input<typeof InstrumentArchiveOptsSchema>;

const count = z.number().int().min(0);

/** The report of an archive's instrumentation: instrumentTree's result without host paths, plus the archives. */
export const InstrumentReportSchema = z
  .object({
    upload: z
      .object({
        format: z.enum(['tar', 'tar.gz', 'zip']),
        files: count,
        bytes: count.describe('Bytes of its files, unpacked'),
      })
      .describe('What was uploaded'),
    files: z.object({
      scanned: count,
      instrumented: z.array(z.string()).describe('Paths of the files rewritten'),
      skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
    }),
    functions: z.object({
      found: count,
      instrumented: count,
      skipped: z.array(
        z.object({ path: z.string(), function: z.string(), line: z.number().int(), reason: z.string() }),
      ),
      skippedByReason: z.record(z.string(), count),
    }),
    byLanguage: z.record(z.string(), z.object({ files: count, functions: count, instrumented: count })),
    cache: z
      .object({
        hits: count,
        misses: count,
        refused: count,
        analysesReused: count.describe(
          "Files whose analysis came from the library's memo (not parsed again)",
        ),
      })
      .describe('Insertion scripts found in the cache, made and refused; analyses reused'),
    runtimeFiles: z.array(z.string()).describe('Telemetry runtime files added to the tree'),
    timings: z.record(z.string(), z.number()).describe('Milliseconds per step'),
    cpuMs: count.describe('CPU time of the sandbox runs'),
  })
  .describe('What was instrumented, skipped (with why) and how long it took');
export type InstrumentReport = z.infer<typeof InstrumentReportSchema>;

export interface InstrumentedArchive {
  report: InstrumentReport;
  archive: Buffer;
  format: ArchiveFormat;
  mediaType: string;
}

/** `engine`, counting the CPU time of every run it makes. */
function counting(engine: Engine, onRun: (result: RunResult) => void): Engine {
  return new Proxy(engine, {
    get(target, key) {
      if (key === 'run')
        return async (...args: Parameters<Engine['run']>) => {
          const result = await target.run(...args);
          onRun(result);
          return result;
        };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `value` with every string's `from` replaced by `to` (no temp dir reaches a caller). */
function scrub<T>(value: T, from: string, to: string): T {
  return JSON.parse(JSON.stringify(value).split(JSON.stringify(from).slice(1, -1)).join(to)) as T;
}

function scrubError(error: unknown, dir: string): unknown {
  if (!(error instanceof ScriptboxError) || !error.message.includes(dir)) return error;
  const message = error.message.split(dir).join('<archive>');
  if (error instanceof InvalidOptionsError) {
    const issues = Array.isArray(error.data['issues']) ? (error.data['issues'] as string[]) : [message];
    return new InvalidOptionsError(message, scrub(issues, dir, '<archive>'), { cause: error });
  }
  return new ScriptboxError(error.code, message, { data: error.data, cause: error });
}

export async function instrumentArchive(
  engine: Engine,
  raw: InstrumentArchiveOpts,
): Promise<InstrumentedArchive> {
  const opts = parseOptions(InstrumentArchiveOptsSchema, raw, 'instrument archive options');
  const dir = await mkdtemp(join(tmpdir(), 'scriptbox-instrument-archive-'));
  try {
    const root = join(dir, 'tree');
    const out = join(dir, 'out');
    await mkdir(root);
    const upload = await extractArchive(opts.archive, root, opts.limits);
    if (await stat(join(root, MANIFEST_NAME)).catch(() => null)) {
      // An instrumented tree's manifest is read (instrumenting it again changes nothing); a broken one is the caller's.
      await readManifest(root).catch((error: unknown) => {
        throw new InvalidOptionsError(
          `archive: ${MANIFEST_NAME} is not a valid scriptbox manifest: leave it out of the archive`,
          [
            `archive: ${MANIFEST_NAME}: ${error instanceof Error ? error.message.split(root).join('.') : 'invalid'}`,
          ],
        );
      });
    }
    let cpuMs = 0;
    const result = await instrumentTree(
      counting(engine, (run) => (cpuMs += run.usage.cpuMs)),
      {
        root,
        out,
        ...(opts.languages ? { languages: opts.languages } : {}),
        exclude: opts.exclude,
        workers: opts.workers,
        ...(opts.library ? { library: opts.library } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      },
    );
    const format = opts.format ?? replyFormat(upload.format);
    const archive = await packTree(out, format);
    const { files, functions, byLanguage, cache, runtimeFiles, timings } = result;
    const report = scrub(
      {
        upload: { format: upload.format, files: upload.files, bytes: upload.bytes },
        files,
        functions,
        byLanguage,
        cache,
        runtimeFiles,
        timings,
        cpuMs: Math.round(cpuMs),
      },
      dir,
      '<archive>',
    );
    return { report, archive, format, mediaType: ARCHIVE_MEDIA_TYPES[format] };
  } catch (error) {
    throw scrubError(error, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** base64 as Buffer.from(text, 'base64') reads it whole. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What a caller sends as JSON (an HTTP body, a tool call): the archive as base64, and the options. */
export const InstrumentArchiveInputSchema = z
  .object({
    archive: z
      .string()
      .min(1)
      .regex(BASE64, 'not valid base64 (groups of A-Z a-z 0-9 + /, = padding)')
      .describe('The source tree as a tar, tar.gz or zip, base64-encoded'),
    languages: InstrumentOptsSchema.shape.languages,
    exclude: InstrumentOptsSchema.shape.exclude,
    workers: InstrumentOptsSchema.shape.workers,
    format: InstrumentArchiveOptsSchema.shape.format,
  })
  .strict();
export type InstrumentArchiveInput = z.output<typeof InstrumentArchiveInputSchema>;

/** What a caller gets back as JSON: the report and the instrumented archive as base64. */
export const InstrumentArchiveAnswerSchema = z.object({
  report: InstrumentReportSchema,
  archive: z
    .object({
      format: z.enum(ARCHIVE_FORMATS),
      mediaType: z.string().describe('application/gzip (tar.gz) or application/zip'),
      bytes: count,
      base64: z.string().describe('The instrumented tree, with its telemetry runtime files and manifest'),
    })
    .describe('The instrumented archive'),
});
export type InstrumentArchiveAnswer = z.infer<typeof InstrumentArchiveAnswerSchema>;

export function archiveAnswer(result: InstrumentedArchive): InstrumentArchiveAnswer {
  return {
    report: result.report,
    archive: {
      format: result.format,
      mediaType: result.mediaType,
      bytes: result.archive.length,
      base64: result.archive.toString('base64'),
    },
  };
}

/** The report in a few numbers (an HTTP header's worth, and the first line of a tool's text). */
export function reportSummary(report: InstrumentReport): Record<string, unknown> {
  return {
    upload: report.upload,
    files: {
      scanned: report.files.scanned,
      instrumented: report.files.instrumented.length,
      skipped: report.files.skipped.length,
    },
    functions: {
      found: report.functions.found,
      instrumented: report.functions.instrumented,
      skipped: report.functions.skipped.length,
    },
    cache: report.cache,
    runtimeFiles: report.runtimeFiles.length,
    cpuMs: report.cpuMs,
    totalMs: report.timings['total'] ?? 0,
  };
}
