/** Health (no token needed), version, and the OpenAPI document of every route. */
import { readFileSync } from 'node:fs';
import type { ServerContext } from './context.js';
import { openApiDocument, OpenApiDocumentSchema, type OpenApiDocument } from './openapi.js';
import { route, type Route } from './route.js';
import { HealthSchema, VersionSchema } from './schemas.js';

export function packageVersion(): string {
  // src/faces/http/ and dist/faces/http/ are both three levels below package.json.
  const parsed: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const version =
    typeof parsed === 'object' && parsed !== null && 'version' in parsed ? parsed.version : undefined;
  return typeof version === 'string' ? version : '0.0.0';
}

/** The meta routes; `all` gives the whole route table (these included) for the OpenAPI document. */
export function metaRoutes(ctx: ServerContext, all: () => Route[]): Route[] {
  const version = packageVersion();
  let document: OpenApiDocument | undefined;
  return [
    route({
      method: 'GET',
      url: '/health',
      tag: 'meta',
      auth: false,
      summary: 'Liveness: { status: "ok" } (503 while shutting down); needs no token',
      response: { schema: HealthSchema },
      handle: () => Promise.resolve({ status: 'ok' as const }),
    }),
    route({
      method: 'GET',
      url: '/v1/version',
      tag: 'meta',
      summary: 'The scriptbox and Node.js versions, the runtimes, and whether tokens are required',
      response: { schema: VersionSchema },
      handle: () =>
        Promise.resolve({
          version,
          node: process.version,
          runtimes: ctx.engine.runtimes.list().map((spec) => spec.name),
          tokensRequired: ctx.guard.tokensRequired,
          sandboxed: !ctx.engine.unsafe,
        }),
    }),
    route({
      method: 'GET',
      url: '/openapi.json',
      tag: 'meta',
      summary: 'This API as an OpenAPI 3.1 document, generated from the route table and its zod schemas',
      response: { schema: OpenApiDocumentSchema },
      handle: () => Promise.resolve((document ??= openApiDocument(all(), version))),
    }),
  ];
}
