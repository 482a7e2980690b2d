/**
 * Sessions: a sandbox of its own across runs, owned by the principal that created it. Listed and described
 * (Session.info()), run as JSON or as Server-Sent Events (the same events as POST /v1/runs/stream), and
 * answered 410 once ended (SessionStore's tombstones).
 *
 * Paths: one rule for every session file route. A path is relative to the work dir, as the listing shows
 * it; a run's `files[].path` is relative to out/ (as in every RunResult), so each run file also carries
 * `url`: `/v1/sessions/<id>/files/out/<path>`, where it downloads.
 */
import { basename } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FileNotFoundError, InvalidOptionsError } from '../../errors.js';
import { RunResultSchema, type RunResult } from '../../engine/result.js';
import type { Session } from '../../engine/session.js';
import type { Principal } from '../../access/guard-types.js';
import { checkedRun } from '../../workflows/checked-run.js';
import { guarded, guardedRun, networkAudit, type ServerContext } from './context.js';
import { describeError } from './errors.js';
import { route, type Route } from './route.js';
import { EventStreamSchema, runInputs } from './routes-runs.js';
import {
  decodeFiles,
  FileBytesSchema,
  SessionBodySchema,
  SessionFilesSchema,
  SessionFileParamsSchema,
  SessionListSchema,
  SessionParamsSchema,
  SessionRunBodySchema,
  SessionSchema,
  UploadBodySchema,
  UploadQuerySchema,
  type SessionRunBody,
} from './schemas.js';
import { SseWriter } from './sse.js';

/** Where a work-dir file of a session downloads (each path segment URL-encoded). */
export function sessionFileUrl(sessionId: string, path: string): string {
  return `/v1/sessions/${encodeURIComponent(sessionId)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** A session run's result with each out/ file's download URL. */
function withFileUrls(result: RunResult, sessionId: string): RunResult {
  const files = result.files.map((file) => ({ ...file, url: sessionFileUrl(sessionId, `out/${file.path}`) }));
  return { ...result, files };
}

/** True when the client asked for the run's output as it comes (Server-Sent Events). */
function wantsEvents(request: FastifyRequest): boolean {
  return /\btext\/event-stream\b/i.test(request.headers.accept ?? '');
}

interface SessionRunRequest {
  session: Session;
  body: SessionRunBody;
  principal: Principal;
  reply: FastifyReply;
  request: FastifyRequest;
}

export function sessionRoutes(ctx: ServerContext): Route[] {
  const { engine, sessions } = ctx;

  /** One run in the session, checked like a one-shot run; `callbacks` receive the output as it comes. */
  const runIn = (
    { session, body, principal }: SessionRunRequest,
    signal: AbortSignal,
    callbacks: { onStdout?: (text: string) => void; onStderr?: (text: string) => void } = {},
  ): Promise<RunResult> =>
    checkedRun({
      language: session.runtime.name,
      source: body.source,
      policy: body.checks,
      run: () =>
        session.run({
          source: body.source,
          ...runInputs(body, signal, networkAudit(ctx, principal)),
          ...callbacks,
        }),
    }).then((result) => withFileUrls(result, session.id));

  const runAsJson = (run: SessionRunRequest): Promise<RunResult> =>
    guardedRun(ctx, {
      principal: run.principal,
      reply: run.reply,
      action: 'session.run',
      target: run.session.id,
      work: (signal) => runIn(run, signal),
    });

  /** The run as POST /v1/runs/stream sends it: `stdout`/`stderr` events, then `result` or `error`. */
  const runAsEvents = async (run: SessionRunRequest): Promise<void> => {
    try {
      await guardedRun(ctx, {
        principal: run.principal,
        reply: run.reply,
        action: 'session.run',
        target: run.session.id,
        work: async (signal) => {
          const sse = new SseWriter(run.reply);
          try {
            const result = await runIn(run, signal, {
              onStdout: (text) => sse.send('stdout', text),
              onStderr: (text) => sse.send('stderr', text),
            });
            sse.send('result', result);
            return result;
          } catch (err) {
            const log = (cause: unknown): void => run.request.log.error({ err: cause }, 'internal error');
            sse.send('error', describeError(err, log).body);
            throw err;
          } finally {
            sse.end();
          }
        },
      });
    } catch (err) {
      if (!run.reply.sent) throw err; // not streaming yet: an ordinary JSON error answer
    }
  };

  return [
    route({
      method: 'POST',
      url: '/v1/sessions',
      tag: 'sessions',
      summary:
        'Start a session (python, javascript, typescript, bash): its work dir and, by default, its state (variables, imports; the shell) last across runs',
      body: SessionBodySchema,
      response: {
        status: 201,
        description: 'The session, as GET /v1/sessions/{id} shows it',
        schema: SessionSchema,
      },
      handle: async ({ body, reply, principal }) => {
        sessions.checkRoom(principal);
        const language = engine.runtimes.resolve(body.language).name;
        const session = await guarded(ctx, {
          principal,
          reply,
          action: 'session.create',
          target: language,
          network: body.network,
          // A client that goes away while the session starts cancels it: no sandbox is left behind.
          work: (signal) => engine.createSession({ ...body, files: decodeFiles(body.files), signal }),
          cpuMs: () => 0,
          details: (created) => ({ ok: true, session: created.id }),
        });
        sessions.add(session, principal);
        void reply.code(201);
        return session.info();
      },
    }),
    route({
      method: 'GET',
      url: '/v1/sessions',
      tag: 'sessions',
      summary:
        "The caller's open sessions (with tokens, only those created with the same token): language, state " +
        'mode, times, idle expiry, usage',
      response: { schema: SessionListSchema },
      handle: ({ principal }) =>
        Promise.resolve({ sessions: sessions.list(principal).map((session) => session.info()) }),
    }),
    route({
      method: 'GET',
      url: '/v1/sessions/:id',
      tag: 'sessions',
      summary:
        'One session: language, state mode, created, last used, idle expiry, usage and status. A session ' +
        'that ended (idle timeout, closed) answers 410 with when and how long it was idle; one never seen 404',
      params: SessionParamsSchema,
      response: { schema: SessionSchema },
      handle: ({ params, principal }) => Promise.resolve(sessions.get(params.id, principal).info()),
    }),
    route({
      method: 'POST',
      url: '/v1/sessions/:id/files',
      tag: 'sessions',
      summary:
        'Write files into the session work dir: JSON { files: [{ name, content, encoding }] }, or raw bytes ' +
        '(content-type: application/octet-stream) with ?name=<relative path>',
      params: SessionParamsSchema,
      query: UploadQuerySchema,
      body: UploadBodySchema,
      response: { description: 'The files written', schema: SessionFilesSchema },
      rawBody: (bytes, query) => {
        if (query.name === undefined) {
          const issue = 'name: give ?name=<relative path> with an application/octet-stream body';
          throw new InvalidOptionsError(issue, [issue]);
        }
        return { files: [{ name: query.name, content: bytes.toString('base64'), encoding: 'base64' }] };
      },
      handle: async ({ params, body, principal }) => {
        const session = sessions.get(params.id, principal);
        const files = decodeFiles(body.files);
        for (const file of files) await session.uploadFile(file.name, file.content);
        return { files: files.map((file) => ({ path: file.name, bytes: Buffer.byteLength(file.content) })) };
      },
    }),
    route({
      method: 'GET',
      url: '/v1/sessions/:id/files',
      tag: 'sessions',
      summary:
        'List the regular files of the session work dir with their sizes, by path relative to the work dir ' +
        "(a run's out/ files as out/<path>); runtime caches (.cache/, .scriptbox-run/) are not listed",
      params: SessionParamsSchema,
      response: { schema: SessionFilesSchema },
      handle: async ({ params, principal }) => ({
        files: await sessions.get(params.id, principal).listFiles(),
      }),
    }),
    route({
      method: 'GET',
      url: '/v1/sessions/:id/files/*',
      tag: 'sessions',
      summary:
        'Download one file of the session work dir by its path relative to the work dir, as the listing ' +
        "shows it; a run's files[].path is relative to out/, so that file is out/<path> (its url). " +
        'Symlinks are never followed',
      params: SessionFileParamsSchema,
      response: { schema: FileBytesSchema, contentType: 'application/octet-stream' },
      handle: async ({ params, reply, principal }) => {
        const path = params['*'];
        const session = sessions.get(params.id, principal);
        const bytes = await session.readFile(path).catch((err: unknown) => {
          // The likeliest slip: a run's files[].path asked for without its out/.
          if (!(err instanceof FileNotFoundError) || path.startsWith('out/')) throw err;
          throw new FileNotFoundError(
            `${err.message}; paths are relative to the work dir, and a run's files[].path is relative to ` +
              `out/: GET ${sessionFileUrl(session.id, `out/${path}`)} (the file's url)`,
            { cause: err },
          );
        });
        const name = basename(path).replace(/[^\w.-]/g, '_');
        return reply
          .type('application/octet-stream')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(bytes);
      },
    }),
    route({
      method: 'POST',
      url: '/v1/sessions/:id/runs',
      tag: 'sessions',
      summary:
        'Run a script in the session (queued behind earlier calls); the answer is its RunResult, each file ' +
        'with the url it downloads at. With `Accept: text/event-stream` the answer is the event stream of ' +
        'POST /v1/sessions/{id}/runs/stream instead',
      params: SessionParamsSchema,
      body: SessionRunBodySchema,
      response: { schema: RunResultSchema },
      handle: async ({ params, body, reply, request, principal }) => {
        const run = { session: sessions.get(params.id, principal), body, principal, reply, request };
        if (!wantsEvents(request)) return runAsJson(run);
        await runAsEvents(run);
      },
    }),
    route({
      method: 'POST',
      url: '/v1/sessions/:id/runs/stream',
      tag: 'sessions',
      summary:
        'Run a script in the session, streaming its output as Server-Sent Events, as POST /v1/runs/stream ' +
        'does: `stdout` and `stderr` events (data: the text as a JSON string) as it comes, then one `result` ' +
        'event (data: the RunResult, files with their url) or an `error` event. Closing the connection ' +
        'cancels the run; the session stays',
      params: SessionParamsSchema,
      body: SessionRunBodySchema,
      response: {
        description: 'An event stream',
        schema: EventStreamSchema,
        contentType: 'text/event-stream',
      },
      handle: async ({ params, body, reply, request, principal }) => {
        await runAsEvents({ session: sessions.get(params.id, principal), body, principal, reply, request });
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/sessions/:id',
      tag: 'sessions',
      summary:
        'Close the session: a run in progress is cancelled, the sandbox destroyed; later calls get 410',
      params: SessionParamsSchema,
      response: { status: 204, description: 'Closed' },
      handle: async ({ params, reply, principal }) => {
        await sessions.close(params.id, principal);
        ctx.guard.audit(principal, 'session.close', params.id, { ok: true });
        return reply.code(204).send();
      },
    }),
  ];
}
