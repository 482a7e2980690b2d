/**
 * createServer(): scriptbox's HTTP API on Fastify (mature, `inject()` for tests without a socket, hooks for
 * auth and shutdown, raw replies for Server-Sent Events). Routes are a table (route.ts) that both registers
 * them and generates /openapi.json. Every route but /health goes through the guard (tokens); runs and
 * generations are admitted (rate limits, quotas), charged and audited. The server owns the engine and the
 * library it is given: close() drains runs (cancelling them after the grace period), closes the sessions,
 * then the engine and the library.
 */
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine/engine.js';
import { ScriptboxError } from '../../errors.js';
import { parseOptions } from '../../parse-options.js';
import type { LlmProvider } from '../../generate/llm/provider.js';
import { createTemplateRegistry, type TemplateRegistry } from '../../generate/registry.js';
import type { Library } from '../../library/types.js';
import type { Principal, ServiceGuard } from '../../access/guard-types.js';
import type { ServerContext } from './context.js';
import { sendError } from './errors.js';
import { InFlight, SessionStore } from './inflight.js';
import { RuntimeVersions } from './piston.js';
import { RunFiles, RunFilesOptsSchema } from './run-files.js';
import type { Route } from './route.js';
import { extractRoutes } from './routes-extract.js';
import { generateRoutes } from './routes-generate.js';
import { ARCHIVE_UPLOAD_TYPES, INSTRUMENT_URL, instrumentRoutes } from './routes-instrument.js';
import { libraryRoutes } from './routes-library.js';
import { metaRoutes } from './routes-meta.js';
import { pistonRoutes } from './routes-piston.js';
import { runRoutes } from './routes-runs.js';
import { sessionRoutes } from './routes-sessions.js';

export const DEFAULT_SERVER_LIMITS = {
  bodyBytes: 10 * 1_048_576,
  shutdownGraceMs: 10_000,
  sessionsPerPrincipal: 8,
} as const;

export const ServerLimitsSchema = z
  .object({
    bodyBytes: z
      .number()
      .int()
      .min(1_024)
      .max(1_073_741_824)
      .describe(
        `Largest request body in bytes; larger ones get 413 (default ${DEFAULT_SERVER_LIMITS.bodyBytes})`,
      ),
    shutdownGraceMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .describe(
        `On close(), how long runs in flight may finish before they are cancelled (default ${DEFAULT_SERVER_LIMITS.shutdownGraceMs})`,
      ),
    sessionsPerPrincipal: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .describe(
        `Sessions one caller may have open at once (default ${DEFAULT_SERVER_LIMITS.sessionsPerPrincipal})`,
      ),
  })
  .partial()
  .strict();
export type ServerLimits = z.infer<typeof ServerLimitsSchema>;

const isObjectWith = (key: string) => (value: unknown) =>
  typeof value === 'object' && value !== null && typeof Reflect.get(value, key) === 'function';

export const ServerOptsSchema = z
  .object({
    engine: z
      .custom<Engine>(isObjectWith('run'), 'expected an Engine')
      .describe('Where runs go; the server closes it on close()'),
    library: z
      .custom<Library>(isObjectWith('save'), 'expected a Library')
      .describe('The script library and generation cache; the server closes it on close()'),
    guard: z
      .custom<ServiceGuard>(isObjectWith('authenticate'), 'expected a ServiceGuard')
      .describe('Tokens, rate limits, quotas and audit (src/access/guard.ts: createGuard)'),
    templates: z
      .custom<TemplateRegistry>(isObjectWith('list'), 'expected a TemplateRegistry')
      .optional()
      .describe('Template packs (default: createTemplateRegistry() on first use)'),
    llm: z
      .custom<LlmProvider>(isObjectWith('complete'), 'expected an LlmProvider')
      .nullable()
      .optional()
      .describe(
        'The model for POST /v1/generate and POST /v1/extract with a prompt (default: none; see llmProviderFromEnv)',
      ),
    limits: ServerLimitsSchema.optional().describe('Request and shutdown limits'),
    runFiles: RunFilesOptsSchema.optional().describe(
      "One-shot runs' out/ files too big to return inline: kept for download by url for ttlMs",
    ),
    logger: z.boolean().optional().describe('Log each request as JSON on stderr (default false)'),
  })
  .strict();
export type ServerOpts = z.input<typeof ServerOptsSchema>;

const ANONYMOUS: Principal = { tokenId: null, name: 'anonymous' };

export async function createServer(raw: ServerOpts): Promise<FastifyInstance> {
  const opts = parseOptions(ServerOptsSchema, raw, 'server options');
  const limits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
  const { engine, library, guard } = opts;
  let templates = opts.templates;
  const runFiles = await RunFiles.open(opts.runFiles?.dir ?? join(library.home, 'run-files'), opts.runFiles);
  const ctx: ServerContext = {
    engine,
    library,
    guard,
    templates: () => (templates ??= createTemplateRegistry()),
    llm: opts.llm ?? null,
    inflight: new InFlight(),
    sessions: new SessionStore(limits.sessionsPerPrincipal),
    versions: new RuntimeVersions(),
    runFiles,
  };
  const app = Fastify({
    logger: opts.logger === true ? { level: 'info', stream: process.stderr } : false,
    bodyLimit: limits.bodyBytes,
    // Our onRequest hook answers 503 in our own error shape.
    return503OnClosing: false,
    // On close, once preClose has drained every request: connections left (idle keep-alive ones, or
    // opened and never used, as browsers and fetch do) would otherwise hold the shutdown for a minute.
    forceCloseConnections: true,
  });
  // JSON in, JSON out (and raw bytes for uploads): other bodies are 415, not strings to misread — except
  // on the Piston routes, whose clients often post JSON as text/plain (piston-client does) and Piston
  // reads it as JSON anyway.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, body, done) => {
    if (!request.url.startsWith('/api/v2/')) {
      done(new ScriptboxError('UNSUPPORTED_MEDIA_TYPE', 'send JSON with content-type: application/json'));
      return;
    }
    try {
      done(null, JSON.parse(String(body)) as unknown);
    } catch {
      done(new ScriptboxError('INVALID_REQUEST', 'the body is not valid JSON'));
    }
  });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  // Archives are raw bytes for POST /v1/instrument only.
  app.addContentTypeParser([...ARCHIVE_UPLOAD_TYPES], { parseAs: 'buffer' }, (request, body, done) => {
    if (request.url.split('?')[0] === INSTRUMENT_URL) done(null, body);
    else
      done(
        new ScriptboxError('UNSUPPORTED_MEDIA_TYPE', `archives go to POST ${INSTRUMENT_URL}; send JSON here`),
      );
  });
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    sendError(
      request,
      reply,
      new ScriptboxError('NOT_FOUND', `no route ${request.method} ${path}; see GET /openapi.json`),
    );
  });

  const routes: Route[] = [];
  routes.push(
    ...metaRoutes(ctx, () => routes),
    ...runRoutes(ctx),
    ...extractRoutes(ctx),
    ...sessionRoutes(ctx),
    ...libraryRoutes(ctx),
    ...generateRoutes(ctx),
    ...instrumentRoutes(ctx),
    ...pistonRoutes(ctx),
  );
  const publicUrls = new Set(routes.filter((r) => !r.auth).map((r) => r.url));
  const principals = new WeakMap<FastifyRequest, Principal>();
  let closing = false;

  const ownUrls = new Set(routes.map((r) => r.url));
  app.addHook('onRequest', async (request, reply) => {
    // Our own requests are drained on close (a mounted face, like /mcp, closes its own).
    if (ownUrls.has(request.routeOptions.url ?? '')) ctx.inflight.trackRequest(reply.raw);
    if (closing) throw new ScriptboxError('SHUTTING_DOWN', 'the server is shutting down; retry shortly');
    if (publicUrls.has(request.routeOptions.url ?? '')) return;
    principals.set(request, guard.authenticate(request.headers.authorization));
    return Promise.resolve();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode === 401) void reply.header('www-authenticate', 'Bearer');
    return payload;
  });
  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      handler: (request, reply) => r.handler(request, reply, principals.get(request) ?? ANONYMOUS),
    });
  }

  app.addHook('preClose', async () => {
    closing = true;
    await ctx.inflight.drain(limits.shutdownGraceMs);
    await ctx.sessions.closeAll('the server is shutting down');
  });
  app.addHook('onClose', async () => {
    try {
      await engine.close();
    } finally {
      library.close();
      await runFiles.close();
    }
  });
  return app;
}
