/**
 * Every error leaves the server as JSON `{ error: { code, message, issues? } }` (Piston routes:
 * `{ message }`) with the status from one table; never a stack trace, and user mistakes are 4xx.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS_BY_ERROR, ScriptboxError } from '../../errors.js';

/** A failure of the HTTP face itself (no such route, session or template; shutting down). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: string[] };
}

interface Described {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

/** Fastify's own request errors (bad JSON, wrong content type, too large) by status. */
const FASTIFY_CODES: Record<number, string> = {
  400: 'INVALID_REQUEST',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && typeof Reflect.get(err, 'statusCode') === 'number';
}

function issuesOf(err: ScriptboxError): string[] | undefined {
  const issues = err.data['issues'];
  return Array.isArray(issues) && issues.every((issue) => typeof issue === 'string') ? issues : undefined;
}

/** The status and body for any thrown value; `internal` is called for what is not a known failure. */
export function describeError(err: unknown, internal: (err: unknown) => void): Described {
  if (err instanceof ScriptboxError) {
    const issues = issuesOf(err);
    const retry = err.data['retryAfterSeconds'];
    const status = HTTP_STATUS_BY_ERROR[err.code];
    if (status >= 500) internal(err);
    return {
      status,
      body: { error: { code: err.code, message: err.message, ...(issues ? { issues } : {}) } },
      ...(typeof retry === 'number' ? { retryAfterSeconds: Math.max(1, Math.ceil(retry)) } : {}),
    };
  }
  if (err instanceof HttpError)
    return { status: err.status, body: { error: { code: err.code, message: err.message } } };
  if (isFastifyError(err) && err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    const status = err.statusCode;
    const code = FASTIFY_CODES[status] ?? 'INVALID_REQUEST';
    const message =
      status === 413
        ? `${err.message}: the limit is set by the server (limits.bodyBytes); send less, or upload files in parts`
        : status === 415
          ? `${err.message}: send JSON with content-type: application/json`
          : err.message;
    return { status, body: { error: { code, message } } };
  }
  internal(err);
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'internal error; the server log has the details' } },
  };
}

/** Routes under this prefix answer errors in Piston's shape. */
export const PISTON_PREFIX = '/api/v2/';

/** Sends `err` as the JSON error of the request's face. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const described = describeError(err, (cause) => request.log.error({ err: cause }, 'internal error'));
  if (described.retryAfterSeconds !== undefined)
    void reply.header('retry-after', String(described.retryAfterSeconds));
  const body = request.url.startsWith(PISTON_PREFIX)
    ? { message: described.body.error.message }
    : described.body;
  return reply.code(described.status).type('application/json; charset=utf-8').send(body);
}
