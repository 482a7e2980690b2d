/** Sessions: a sandbox of its own across runs, owned by the principal that created it. */
import { basename } from 'node:path';
import { InvalidOptionsError } from '../../errors.js';
import { RunResultSchema } from '../../engine/result.js';
import { checkedRun } from '../../workflows/checked-run.js';
import { guarded, guardedRun, networkAudit, type ServerContext } from './context.js';
import { route, type Route } from './route.js';
import { runInputs } from './routes-runs.js';
import {
  decodeFiles,
  FileBytesSchema,
  SessionBodySchema,
  SessionCreatedSchema,
  SessionFilesSchema,
  SessionFileParamsSchema,
  SessionParamsSchema,
  SessionRunBodySchema,
  UploadBodySchema,
  UploadQuerySchema,
} from './schemas.js';

export function sessionRoutes(ctx: ServerContext): Route[] {
  const { engine, sessions } = ctx;
  return [
    route({
      method: 'POST',
      url: '/v1/sessions',
      tag: 'sessions',
      summary: 'Start a session (python, javascript, typescript): its work dir and preloads last across runs',
      body: SessionBodySchema,
      response: { status: 201, description: 'The session: { id, language }', schema: SessionCreatedSchema },
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
        return { id: session.id, language: session.runtime.name };
      },
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
      summary: 'List the regular files of the session work dir with their sizes',
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
      summary: 'Download one file of the session work dir (symlinks are never followed)',
      params: SessionFileParamsSchema,
      response: { schema: FileBytesSchema, contentType: 'application/octet-stream' },
      handle: async ({ params, reply, principal }) => {
        const bytes = await sessions.get(params.id, principal).readFile(params['*']);
        const name = basename(params['*']).replace(/[^\w.-]/g, '_');
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
      summary: 'Run a script in the session (queued behind earlier calls); the answer is its RunResult',
      params: SessionParamsSchema,
      body: SessionRunBodySchema,
      response: { schema: RunResultSchema },
      handle: ({ params, body, reply, principal }) => {
        const session = sessions.get(params.id, principal);
        const language = session.runtime.name;
        return guardedRun(ctx, {
          principal,
          reply,
          action: 'session.run',
          target: session.id,
          work: (signal) =>
            checkedRun({
              language,
              source: body.source,
              policy: body.checks,
              run: () => {
                return session.run({
                  source: body.source,
                  ...runInputs(body, signal, networkAudit(ctx, principal)),
                });
              },
            }),
        });
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/sessions/:id',
      tag: 'sessions',
      summary: 'Close the session: a run in progress is cancelled, the sandbox destroyed',
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
