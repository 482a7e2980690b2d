/**
 * The route table: each route is data (method, url, zod schemas of its body, query and params, what it
 * answers) plus a handler. The same table registers the Fastify routes and generates /openapi.json, so the
 * document cannot drift from what the server validates.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseOptions } from '../../parse-options.js';
import type { Principal } from '../../access/guard-types.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteResponse {
  status: number;
  description: string;
  /** What the answer holds (documented in /openapi.json as its JSON Schema); none for 204. */
  schema?: z.ZodType;
  /** application/json unless said otherwise (text/event-stream, application/octet-stream). */
  contentType?: string;
}

/** What a route answers: 204 and nothing, or a status (default 200) with a body described by a schema. */
export type ResponseSpec<R extends z.ZodType> =
  | { status: 204; description: string }
  | { status?: number; description?: string; schema: R; contentType?: string };

/** What a handler may return: the response schema's input, or the reply it answered itself (raw, SSE, 204). */
type Answer<R extends z.ZodType> = z.input<R> | FastifyReply | void;

export interface Route {
  method: Method;
  /** Fastify URL pattern: `/v1/sessions/:id/files/*`. */
  url: string;
  summary: string;
  tag: string;
  /** False only for health: every other route needs a token when tokens exist. */
  auth: boolean;
  body?: z.ZodType;
  /** Also accepts raw bytes (application/octet-stream). */
  rawBody?: boolean;
  /** The content types raw bytes may come as (default: application/octet-stream). */
  rawTypes?: readonly string[];
  query?: z.ZodObject;
  params?: z.ZodObject;
  response: RouteResponse;
  handler: (request: FastifyRequest, reply: FastifyReply, principal: Principal) => Promise<unknown>;
}

export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  request: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<
  B extends z.ZodType | undefined,
  Q extends z.ZodObject | undefined,
  P,
  R extends z.ZodType,
> {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  auth?: boolean;
  body?: B;
  /** Picks the schema a body is validated with (default: `body`), for bodies documented as a union. */
  bodySchema?: (raw: unknown) => z.ZodType<Out<B>>;
  /** Also accepts raw bytes (application/octet-stream), turned into the JSON form of the body. */
  rawBody?: (bytes: Buffer, query: Out<Q>) => unknown;
  /** The content types raw bytes may come as (default: application/octet-stream; the server parses each). */
  rawTypes?: readonly string[];
  query?: Q;
  params?: P;
  response: ResponseSpec<R>;
  handle: (input: RouteInput<Out<B>, Out<Q>, Out<P>>) => Promise<Answer<R>>;
}

function routeResponse(spec: ResponseSpec<z.ZodType>): RouteResponse {
  if (!('schema' in spec)) return spec;
  const { status = 200, schema, contentType } = spec;
  const description = spec.description ?? schema.description ?? 'OK';
  return { status, description, schema, ...(contentType ? { contentType } : {}) };
}

/** The JSON type of each field of a query schema. */
function fieldTypes(schema: z.ZodObject): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  const properties = (json.properties ?? {}) as Record<string, { type?: unknown }>;
  return Object.fromEntries(Object.entries(properties).map(([key, field]) => [key, field.type]));
}

/** Query values arrive as strings: numbers and booleans are converted where the schema wants them. */
function coerceQuery(types: Record<string, unknown>, raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const type = types[key];
    if (
      typeof value === 'string' &&
      (type === 'integer' || type === 'number') &&
      /^-?\d+(\.\d+)?$/.test(value)
    )
      out[key] = Number(value);
    else if (typeof value === 'string' && type === 'boolean' && (value === 'true' || value === 'false'))
      out[key] = value === 'true';
    else out[key] = value;
  }
  return out;
}

/** A route whose body, query and params are parsed (InvalidOptionsError listing each problem) first. */
export function route<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  P extends z.ZodObject | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(spec: RouteSpec<B, Q, P, R>): Route {
  const parse = <S extends z.ZodType | undefined>(schema: S, value: unknown, what: string): Out<S> =>
    (schema === undefined ? undefined : parseOptions(schema, value, what)) as Out<S>;
  const queryTypes = spec.query ? fieldTypes(spec.query) : {};
  return {
    method: spec.method,
    url: spec.url,
    summary: spec.summary,
    tag: spec.tag,
    auth: spec.auth ?? true,
    ...(spec.body ? { body: spec.body } : {}),
    ...(spec.rawBody ? { rawBody: true } : {}),
    ...(spec.rawTypes ? { rawTypes: spec.rawTypes } : {}),
    ...(spec.query ? { query: spec.query } : {}),
    ...(spec.params ? { params: spec.params } : {}),
    response: routeResponse(spec.response),
    handler: async (request, reply, principal) => {
      // A route given a schema type always has the schema: `as` only drops the optional field's undefined.
      const params = parse(spec.params as P, request.params, 'path parameters');
      const query = parse(spec.query as Q, spec.query ? coerceQuery(queryTypes, request.query) : {}, 'query');
      const given: unknown =
        spec.rawBody && Buffer.isBuffer(request.body) ? spec.rawBody(request.body, query) : request.body;
      const schema = spec.bodySchema ? spec.bodySchema(given) : spec.body;
      const body = parse(schema as B, given, 'request body');
      return spec.handle({ body, query, params, request, reply, principal });
    },
  };
}

/** `value` without `keys` (a copy). */
export function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy: Partial<T> = { ...value };
  for (const key of keys) Reflect.deleteProperty(copy, key);
  return copy as Omit<T, K>;
}
