/**
 * One-shot runs (JSON and Server-Sent Events), the files they leave for download, and batch runs.
 */
import { z } from 'zod';
import type { EncodedFile, RunOpts } from '../../engine/options.js';
import { BatchResultSchema } from '../../engine/batch.js';
import { RunResultSchema, type RunResult } from '../../engine/result.js';
import { checkedRun } from '../../workflows/checked-run.js';
import { guarded, guardedRun, networkAudit, type ServerContext } from './context.js';
import { describeError } from './errors.js';
import { route, type Route } from './route.js';
import { KeptFilesSchema } from './run-files.js';
import { BatchBodySchema, decodeFiles, FileBytesSchema, RunBodySchema } from './schemas.js';
import { SseWriter } from './sse.js';

interface RunInput {
  stdin?: string | undefined;
  env?: RunOpts['env'];
  files?: EncodedFile[] | undefined;
  limits?: RunOpts['limits'];
  network?: RunOpts['network'];
}

/**
 * The library's run options, but language and source, for an HTTP run body; `onNetwork` audits a granted
 * run's network (networkAudit).
 */
export function runInputs(
  body: RunInput,
  signal: AbortSignal,
  onNetwork?: RunOpts['onNetwork'],
): Omit<RunOpts, 'language' | 'source'> {
  return {
    ...(body.stdin !== undefined ? { stdin: body.stdin } : {}),
    ...(body.env !== undefined ? { env: body.env } : {}),
    files: decodeFiles(body.files),
    ...(body.limits !== undefined ? { limits: body.limits } : {}),
    ...(body.network !== undefined ? { network: body.network } : {}),
    ...(onNetwork ? { onNetwork } : {}),
    signal,
  };
}

const RunFileParamsSchema = z
  .object({
    id: z.string().min(1).describe("The run's id, as its file's url names it"),
    '*': z.string().min(1).describe("The file's path under out/, as the result lists it"),
  })
  .strict();

/** A file name safe in a header; the full name goes in filename* (RFC 6266). */
function contentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const plain = name.replace(/[^\w.-]/g, '_');
  return `attachment; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The text of a run's event stream (Server-Sent Events). */
export const EventStreamSchema = z
  .string()
  .describe(
    'Server-Sent Events: `stdout` and `stderr` (data: text as a JSON string), then `result` (data: a ' +
      'RunResult) or `error` (data: the error body of the 4XX and 5XX answers)',
  );

export function runRoutes(ctx: ServerContext): Route[] {
  const { engine } = ctx;
  return [
    route({
      method: 'POST',
      url: '/v1/runs',
      tag: 'runs',
      summary: 'Run a script in a fresh sandbox; the answer is its RunResult (a failing script is a result)',
      body: RunBodySchema,
      response: { schema: RunResultSchema },
      handle: ({ body, reply, principal }) => {
        const language = engine.runtimes.resolve(body.language).name;
        return guardedRun(ctx, {
          principal,
          reply,
          action: 'run',
          target: language,
          network: body.network,
          work: (signal) =>
            ctx.runFiles.around(principal, (outDir) =>
              checkedRun({
                language,
                source: body.source,
                policy: body.checks,
                run: () =>
                  engine.run({
                    language,
                    source: body.source,
                    ...runInputs(body, signal, networkAudit(ctx, principal)),
                    outDir,
                  }),
              }),
            ),
        });
      },
    }),
    route({
      method: 'GET',
      url: '/v1/runs/:id/files',
      tag: 'runs',
      summary:
        'The files of a one-shot run kept for download (those that came back with a `url`), and when they expire',
      params: RunFileParamsSchema.omit({ '*': true }),
      response: { schema: KeptFilesSchema },
      handle: ({ params, principal }) => Promise.resolve(ctx.runFiles.list(params.id, principal)),
    }),
    route({
      method: 'GET',
      url: '/v1/runs/:id/files/*',
      tag: 'runs',
      summary:
        'Download a file a one-shot run wrote under out/ that came back with a `url` instead of its content ' +
        "(too big to inline): with the same token as the run, until the server's files TTL passes after the " +
        'run (`scriptbox serve --files-ttl`, default 1 hour). Sent as an attachment with its media type.',
      params: RunFileParamsSchema,
      response: { schema: FileBytesSchema, contentType: 'application/octet-stream' },
      handle: async ({ params, reply, principal }) => {
        const file = await ctx.runFiles.openFile(params.id, params['*'], principal);
        return (
          reply
            .type(file.mediaType)
            .header('content-length', file.bytes)
            .header('content-disposition', contentDisposition(params['*']))
            // The bytes are a script's: never sniffed, never run as a page of this origin.
            .header('x-content-type-options', 'nosniff')
            .header('content-security-policy', "sandbox; default-src 'none'")
            .header('cache-control', 'private, no-store')
            .send(file.stream)
        );
      },
    }),
    route({
      method: 'POST',
      url: '/v1/runs/stream',
      tag: 'runs',
      summary:
        'Run a script, streaming its output as Server-Sent Events: `stdout` and `stderr` events (data: the ' +
        'text as a JSON string) as it comes, then one `result` event (data: the RunResult) or an `error` ' +
        'event. Closing the connection cancels the run.',
      body: RunBodySchema,
      response: {
        description: 'An event stream',
        schema: EventStreamSchema,
        contentType: 'text/event-stream',
      },
      handle: async ({ body, reply, request, principal }) => {
        const language = engine.runtimes.resolve(body.language).name;
        try {
          await guardedRun(ctx, {
            principal,
            reply,
            action: 'run',
            target: language,
            network: body.network,
            work: async (signal) => {
              const sse = new SseWriter(reply);
              try {
                const result: RunResult = await ctx.runFiles.around(principal, (outDir) =>
                  checkedRun({
                    language,
                    source: body.source,
                    policy: body.checks,
                    run: () =>
                      engine.run({
                        language,
                        source: body.source,
                        ...runInputs(body, signal, networkAudit(ctx, principal)),
                        outDir,
                        onStdout: (text) => sse.send('stdout', text),
                        onStderr: (text) => sse.send('stderr', text),
                      }),
                  }),
                );
                sse.send('result', result);
                return result;
              } catch (err) {
                const log = (cause: unknown): void => request.log.error({ err: cause }, 'internal error');
                sse.send('error', describeError(err, log).body);
                throw err;
              } finally {
                sse.end();
              }
            },
          });
        } catch (err) {
          if (!reply.sent) throw err; // not streaming yet: an ordinary JSON error answer
        }
      },
    }),
    route({
      method: 'POST',
      url: '/v1/batches',
      tag: 'runs',
      summary:
        'Run one script over many items (each as JSON on stdin and in item.json) with bounded concurrency; ' +
        'results in input order with a summary. A batch is admitted as one run; its CPU is charged in full.',
      body: BatchBodySchema,
      response: { schema: BatchResultSchema },
      handle: ({ body, reply, principal }) => {
        const language = engine.runtimes.resolve(body.script.language).name;
        return guarded(ctx, {
          principal,
          reply,
          action: 'batch',
          target: language,
          work: (signal) => engine.runBatch({ ...body, signal }),
          cpuMs: (batch) => batch.summary.cpuMs,
          details: ({ summary }) => ({
            ok: summary.failed === 0,
            total: summary.total,
            succeeded: summary.succeeded,
            failed: summary.failed,
            cpuMs: summary.cpuMs,
            wallMs: summary.wallMs,
          }),
        });
      },
    }),
  ];
}
