/**
 * Every error leaves the server as JSON `{ error: { code, message, issues? } }` (Piston routes: `{ message }`,
 * limits named as Piston names them) with the status errors.ts's table gives its code; never a stack
 * trace, and user mistakes are 4xx. Every failure of the face itself is a ScriptboxError too.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ENGINE_WORDS, inFaceWords, type FaceWords } from '../../engine/face-words.js';
import { ERROR_TABLE, ScriptboxError, type ErrorCode } from '../../errors.js';
import { PISTON_WORDS } from './piston.js';

export interface ErrorBody {
  error: { code: string; message: string; issues?: string[]; details?: Record<string, unknown> };
}

interface Described {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

/** The REST API's words: limits as the engine names them (`limits.timeoutMs`), pointers as routes. */
export const HTTP_WORDS: FaceWords = {
  ...ENGINE_WORDS,
  see: (see) =>
    see.what === 'templates'
      ? 'GET /v1/templates'
      : see.what === 'template'
        ? `GET /v1/templates/${see.id}`
        : 'GET /v1/scripts',
};

/** The codes of Fastify's own request errors (bad JSON, wrong content type, too large) by status. */
const FASTIFY_CODES: Readonly<Partial<Record<number, ErrorCode>>> = {
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function isFastifyError(err: unknown): err is FastifyError & { statusCode: number } {
  return err instanceof Error && typeof Reflect.get(err, 'statusCode') === 'number';
}

/** A request Fastify refused before a route saw it, with what to do about it. */
function fromFastify(err: FastifyError): ScriptboxError {
  const code = FASTIFY_CODES[err.statusCode ?? 400] ?? 'INVALID_REQUEST';
  const message =
    code === 'PAYLOAD_TOO_LARGE'
      ? `${err.message}: the limit is set by the server (limits.bodyBytes); send less, or upload files in parts`
      : code === 'UNSUPPORTED_MEDIA_TYPE'
        ? `${err.message}: send JSON with content-type: application/json`
        : err.message;
  return new ScriptboxError(code, message, { cause: err });
}

/**
 * The status and body for any thrown value, in `words` (default: the REST API's); `internal` is called for
 * what is the host's failure (5xx).
 */
export function describeError(
  err: unknown,
  internal: (err: unknown) => void,
  words: FaceWords = HTTP_WORDS,
): Described {
  const known =
    err instanceof ScriptboxError
      ? err
      : isFastifyError(err) && err.statusCode >= 400 && err.statusCode < 500
        ? fromFastify(err)
        : null;
  if (known === null) {
    internal(err);
    return {
      status: ERROR_TABLE.INTERNAL.http,
      body: { error: { code: 'INTERNAL', message: 'internal error; the server log has the details' } },
    };
  }
  const status = ERROR_TABLE[known.code].http;
  if (status >= 500) internal(known);
  const { message, issues } = inFaceWords(known, words);
  const retry = known.data['retryAfterSeconds'];
  // Facts a client may act on (a 410's session: when it ended, how long it was idle), as fields.
  const details: unknown = known.data['details'];
  const detailed = typeof details === 'object' && details !== null ? { details: { ...details } } : {};
  return {
    status,
    body: { error: { code: known.code, message, ...(issues ? { issues } : {}), ...detailed } },
    ...(typeof retry === 'number' ? { retryAfterSeconds: Math.max(1, Math.ceil(retry)) } : {}),
  };
}

/** Routes under this prefix answer errors in Piston's shape and words. */
export const PISTON_PREFIX = '/api/v2/';

/** Sends `err` as the JSON error of the request's face. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const piston = request.url.startsWith(PISTON_PREFIX);
  const described = describeError(
    err,
    (cause) => request.log.error({ err: cause }, 'internal error'),
    piston ? PISTON_WORDS : HTTP_WORDS,
  );
  if (described.retryAfterSeconds !== undefined)
    void reply.header('retry-after', String(described.retryAfterSeconds));
  const body = piston ? { message: described.body.error.message } : described.body;
  return reply.code(described.status).type('application/json; charset=utf-8').send(body);
}
