/**
 * POST /v1/instrument: a source tree as an archive in, the instrumented tree and its report out
 * (workflows/instrument/archive). The upload is the raw archive (application/gzip, application/x-tar,
 * application/zip or application/octet-stream; the format is read from its bytes) with the options in the
 * query, or JSON `{ archive: base64, ...options }`. The answer is JSON `{ report, archive: { base64, ... } }`,
 * or with `Accept: application/gzip` (or application/zip, application/octet-stream) the archive itself as
 * the body with a summary of the report in the `X-Scriptbox-Report` header. It costs sandbox time: admitted,
 * charged and audited like a run; insertion scripts are cached in the server's library.
 */
import { z } from 'zod';
import {
  ARCHIVE_MEDIA_TYPES,
  archiveAnswer,
  instrumentArchive,
  InstrumentArchiveAnswerSchema,
  InstrumentArchiveInputSchema,
  reportSummary,
  type ArchiveFormat,
} from '../../workflows/instrument/index.js';
import { guarded, type ServerContext } from './context.js';
import { route, type Route } from './route.js';

export const INSTRUMENT_URL = '/v1/instrument';

/** The content types a raw archive upload may have (besides application/octet-stream). */
export const ARCHIVE_UPLOAD_TYPES = [
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/zip',
  'application/x-zip-compressed',
] as const;

export const InstrumentBodySchema = InstrumentArchiveInputSchema;

/** A list in the query: repeated (`?languages=go&languages=c`) or comma-separated (`?languages=go,c`). */
const QueryList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? undefined : [value].flat().flatMap((item) => item.split(','))))
  .transform((items) => items?.map((item) => item.trim()).filter((item) => item !== ''));

export const InstrumentQuerySchema = z
  .object({
    languages: QueryList.describe('With a raw archive: only these languages, comma-separated (default: all)'),
    exclude: QueryList.describe('With a raw archive: globs of paths to leave alone, comma-separated'),
    workers: z.number().int().optional().describe('With a raw archive: sandbox runs in flight (default 12)'),
    format: z
      .string()
      .optional()
      .describe('The answer as tar.gz or zip (default: zip for a zip upload, else tar.gz)'),
  })
  .strict();

/** The archive format the Accept header asks for the raw answer in, null for JSON (the default). */
function rawAnswer(accept: string | undefined): { format?: ArchiveFormat } | null {
  const wanted = (accept ?? '')
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '')
    .find((type) =>
      [
        'application/json',
        'application/gzip',
        'application/x-gzip',
        'application/zip',
        'application/octet-stream',
      ].includes(type),
    );
  if (wanted === undefined || wanted === 'application/json') return null;
  if (wanted === 'application/zip') return { format: 'zip' };
  if (wanted === 'application/octet-stream') return {};
  return { format: 'tar.gz' };
}

export function instrumentRoutes(ctx: ServerContext): Route[] {
  return [
    route({
      method: 'POST',
      url: INSTRUMENT_URL,
      tag: 'instrument',
      summary:
        'Instrument a source tree with function telemetry: send it as a raw archive (content-type ' +
        'application/gzip for tar.gz, application/x-tar, application/zip, or application/octet-stream; ' +
        'options in the query) or as JSON { archive: base64, languages, exclude, workers, format }. Limits: ' +
        'the body limit, 64 MiB unpacked, 8 MiB per file, 10000 files, 32 levels; no links, devices, absolute ' +
        'paths or "..". Answers JSON { report, archive: { format, mediaType, bytes, base64 } }, or with ' +
        'Accept: application/gzip (application/zip, application/octet-stream) the instrumented archive ' +
        'itself, with the report summed up as JSON in the X-Scriptbox-Report header',
      query: InstrumentQuerySchema,
      body: InstrumentBodySchema,
      rawBody: (bytes, query) => ({
        archive: bytes.toString('base64'),
        ...(query.languages ? { languages: query.languages } : {}),
        ...(query.exclude ? { exclude: query.exclude } : {}),
        ...(query.workers !== undefined ? { workers: query.workers } : {}),
        ...(query.format !== undefined ? { format: query.format } : {}),
      }),
      rawTypes: ['application/octet-stream', ...ARCHIVE_UPLOAD_TYPES],
      response: {
        description: 'The report and the instrumented archive (base64)',
        schema: InstrumentArchiveAnswerSchema,
      },
      handle: async ({ body, request, reply, principal }) => {
        const raw = rawAnswer(request.headers.accept);
        const format = body.format ?? raw?.format;
        const result = await guarded(ctx, {
          principal,
          reply,
          action: 'instrument',
          target: body.languages?.join(',') || 'all languages',
          work: (signal) =>
            instrumentArchive(ctx.engine, {
              archive: Buffer.from(body.archive, 'base64'),
              ...(body.languages ? { languages: body.languages } : {}),
              exclude: body.exclude,
              workers: body.workers,
              ...(format ? { format } : {}),
              library: ctx.library,
              signal,
            }),
          cpuMs: (done) => done.report.cpuMs,
          details: (done) => ({ ok: true, ...reportSummary(done.report), archiveBytes: done.archive.length }),
        });
        if (raw === null) return archiveAnswer(result);
        return reply
          .type(ARCHIVE_MEDIA_TYPES[result.format])
          .header('content-disposition', `attachment; filename="instrumented.${result.format}"`)
          .header('x-scriptbox-report', JSON.stringify(reportSummary(result.report)))
          .send(result.archive);
      },
    }),
  ];
}
