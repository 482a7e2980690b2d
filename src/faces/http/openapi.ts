/** /openapi.json, generated from the route table and its zod schemas (never written by hand). */
import { z } from 'zod';
import { without, type Route } from './route.js';

type Json = Record<string, unknown>;

/** A zod schema as the JSON Schema of what a client sends. */
export function requestJsonSchema(schema: z.ZodType): Json {
  return without(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), '$schema');
}

/** A zod schema as the JSON Schema of what the server answers. */
export function responseJsonSchema(schema: z.ZodType): Json {
  return without(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }), '$schema');
}

/** The document's outline (what GET /openapi.json answers; the paths are generated from the routes). */
export const OpenApiDocumentSchema = z
  .looseObject({
    openapi: z.string().describe('The OpenAPI version, 3.1.0'),
    info: z.looseObject({ title: z.string(), version: z.string(), description: z.string() }),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())).describe('Each route by path and method'),
    components: z.record(z.string(), z.unknown()),
  })
  .describe('This API as an OpenAPI 3.1 document');
export type OpenApiDocument = z.infer<typeof OpenApiDocumentSchema>;

/** Fastify's `/v1/sessions/:id/files/*` as OpenAPI's `/v1/sessions/{id}/files/{path}`. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}');
}

const ERROR_SCHEMA: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code, e.g. INVALID_OPTIONS, RATE_LIMITED' },
        message: { type: 'string', description: 'What went wrong and what to do' },
        issues: { type: 'array', items: { type: 'string' }, description: 'Each problem as `path: message`' },
        details: {
          type: 'object',
          description:
            'Facts to act on, for some codes: SESSION_CLOSED (410) gives the session id, reason, expired, ' +
            'createdAt, lastUsedAt, endedAt, idleMs and idleTimeoutMs',
        },
      },
    },
  },
};

function parameters(route: Route): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = requestJsonSchema(schema);
    const required = new Set(Array.isArray(json['required']) ? json['required'] : []);
    const properties = (json['properties'] ?? {}) as Record<string, Json>;
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...rest } = property;
      out.push({
        name: name === '*' ? 'path' : name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function operation(route: Route): Json {
  const { response } = route;
  const contentType = response.contentType ?? 'application/json';
  const content: Json = { 'application/json': { schema: route.body ? requestJsonSchema(route.body) : {} } };
  if (route.rawBody)
    for (const type of route.rawTypes ?? ['application/octet-stream'])
      content[type] = { schema: { type: 'string', format: 'binary' } };
  const error = {
    description: 'An error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: route.summary,
    tags: [route.tag],
    security: route.auth ? [{ bearer: [] }] : [],
    parameters: parameters(route),
    ...(route.body ? { requestBody: { required: true, content } } : {}),
    responses: {
      [String(response.status)]: {
        description: response.description,
        ...(response.schema
          ? { content: { [contentType]: { schema: responseJsonSchema(response.schema) } } }
          : {}),
      },
      '4XX': error,
      '5XX': error,
    },
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(routes: Route[], version: string): OpenApiDocument {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'scriptbox',
      version,
      description:
        'Run untrusted scripts in a real sandbox with hard limits; generate, check and keep them. Every route ' +
        'but /health needs `Authorization: Bearer <token>` once tokens exist (`scriptbox tokens create`). ' +
        'Errors are { error: { code, message, issues? } } (Piston routes: { message }).',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}
