/**
 * POST /v1/extract: one extraction script over many web sources (workflows/extract). The answer is the
 * ExtractionResult; a client that sends `Accept: text/event-stream` gets Server-Sent Events instead:
 * `source` (data: a SourceResult, as each finishes), `progress` (data: the counts so far), then `result`
 * (data: the ExtractionResult) or `error`. The request is refused as a whole (403 NETWORK_NOT_PERMITTED,
 * listing the hosts) before anything runs when the server's policy or the caller's token does not cover
 * every source's host and extra allow entry.
 */
import { z } from 'zod';
import { NetworkLimitsSchema } from '../../network/limits.js';
import {
  allowEntries,
  ExtractionResultSchema,
  ExtractOptsSchema,
  prepareExtraction,
  runExtraction,
  type ExtractionResult,
  type ExtractOpts,
} from '../../workflows/extract/index.js';
import { guarded, type ServerContext } from './context.js';
import { describeError } from './errors.js';
import { route, type Route } from './route.js';
import { SseWriter } from './sse.js';

/** POST /v1/extract: the library's extraction options but signals and callbacks. */
export const ExtractBodySchema = ExtractOptsSchema.omit({
  signal: true,
  onProgress: true,
  onSource: true,
  log: true,
  networkLimits: true,
}).extend({ networkLimits: NetworkLimitsSchema.optional().describe("Network limits of each source's run") });
export type ExtractBody = z.output<typeof ExtractBodySchema>;

/** The audit details of an extraction. */
function extractDetails(result: ExtractionResult): Record<string, unknown> {
  const { summary } = result;
  return {
    ok: result.ok,
    sources: summary.sources,
    succeeded: summary.succeeded,
    failed: summary.failed,
    records: summary.records,
    wallMs: summary.durationMs,
  };
}

/** An extraction is charged the CPU time of its sources' runs, like a run is charged its own. */
const chargedMs = (result: ExtractionResult): number =>
  result.sources.reduce((sum, source) => sum + source.metadata.cpuMs, 0);

export function extractRoutes(ctx: ServerContext): Route[] {
  const { engine } = ctx;
  return [
    route({
      method: 'POST',
      url: '/v1/extract',
      tag: 'runs',
      summary:
        "Run one extraction script over many web sources, each run granted its source's host only (plus " +
        '`allow`); results per source in input order with a summary. With `Accept: text/event-stream` the ' +
        'answer is Server-Sent Events: `source` and `progress` as sources finish, then `result` or `error`. ' +
        'Refused as a whole (403 NETWORK_NOT_PERMITTED) when a host is outside the policy or the token.',
      body: ExtractBodySchema,
      response: { schema: ExtractionResultSchema },
      handle: async ({ body, reply, request, principal }) => {
        const opts: ExtractOpts = { ...body };
        // Options, ceilings and the server's network policy: refused before anything runs.
        prepareExtraction(engine, opts);
        const network = { allow: allowEntries(body.sources, body.allow) };
        const language = engine.runtimes.resolve(body.script.language).name;
        const common = {
          principal,
          reply,
          action: 'extract',
          target: language,
          network,
          cpuMs: chargedMs,
          details: extractDetails,
        };
        const log = (entry: Record<string, unknown>): void => request.log.info(entry, 'extract');
        if (!/\btext\/event-stream\b/.test(request.headers.accept ?? '')) {
          return guarded(ctx, {
            ...common,
            work: (signal) => runExtraction(engine, { ...opts, signal, log }),
          });
        }
        try {
          await guarded(ctx, {
            ...common,
            work: async (signal) => {
              const sse = new SseWriter(reply);
              try {
                const result = await runExtraction(engine, {
                  ...opts,
                  signal,
                  log,
                  onSource: (source) => sse.send('source', source),
                  onProgress: (progress) => sse.send('progress', progress),
                });
                sse.send('result', result);
                return result;
              } catch (err) {
                const logError = (cause: unknown): void =>
                  request.log.error({ err: cause }, 'internal error');
                sse.send('error', describeError(err, logError).body);
                throw err;
              } finally {
                sse.end();
              }
            },
          });
        } catch (err) {
          if (!reply.sent) throw err; // not streaming yet: an ordinary JSON error answer
        }
        return reply;
      },
    }),
  ];
}
