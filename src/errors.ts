/**
 * One error root for everything scriptbox itself fails at. A failing *script* is not an error:
 * the engine returns a result with `ok: false` (see engine/result.ts).
 */
export type ErrorCode =
  | 'INVALID_OPTIONS'
  | 'LIMIT_ABOVE_CEILING'
  | 'NETWORK_NOT_PERMITTED'
  | 'INVALID_DATASET'
  | 'USAGE'
  | 'INVALID_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'SANDBOX_UNAVAILABLE'
  | 'UNKNOWN_RUNTIME'
  | 'NOT_FOUND'
  | 'FILE_NOT_FOUND'
  | 'TEMPLATE_NOT_FOUND'
  | 'SESSION_NOT_FOUND'
  | 'ENGINE_CLOSED'
  | 'SESSION_CLOSED'
  | 'GENERATION_FAILED'
  | 'DOWNLOAD_FAILED'
  | 'LIBRARY_NOT_FOUND'
  | 'LIBRARY_CONFLICT'
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'TOOL_TIMEOUT'
  | 'CANCELLED'
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

export interface ScriptboxErrorOpts {
  data?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Where to look to fix a mistake, as `data.see`: the layer that throws names it, each face says it in its
 * own words after the message (`scriptbox templates list`, GET /v1/templates, the list_templates tool), so
 * no message names another face's command.
 */
export type SeeAlso = { what: 'templates' } | { what: 'template'; id: string } | { what: 'scripts' };

/** The `data.see` of an error, when it has one. */
export function seeAlsoOf(err: ScriptboxError): SeeAlso | undefined {
  const see: unknown = err.data['see'];
  if (typeof see !== 'object' || see === null) return undefined;
  const what: unknown = Reflect.get(see, 'what');
  const id: unknown = Reflect.get(see, 'id');
  if (what === 'templates' || what === 'scripts') return { what };
  if (what === 'template' && typeof id === 'string') return { what, id };
  return undefined;
}

/** `message` followed by where to look: after `; ` on one line, on a line of its own after a list. */
export function withSeeAlso(message: string, where: string | undefined): string {
  if (where === undefined) return message;
  return message.includes('\n') ? `${message}\nsee ${where}` : `${message}; see ${where}`;
}

export class ScriptboxError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: ScriptboxErrorOpts = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = opts.data ?? {};
  }
}

/** Options or arguments that do not validate; `issues` lists each problem with its path. */
export class InvalidOptionsError extends ScriptboxError {
  constructor(message: string, issues: string[], opts: ScriptboxErrorOpts = {}) {
    super('INVALID_OPTIONS', message, { ...opts, data: { ...opts.data, issues } });
  }
}

/**
 * A run, session or extraction asked for network destinations that the operator's policy (or the caller's
 * token) does not allow; `data.uncovered` lists them and `data.allowed` what may be asked for.
 */
export class NetworkNotPermittedError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('NETWORK_NOT_PERMITTED', message, opts);
  }
}

/** An uploaded table that cannot be read (empty, ragged, not UTF-8, too large); the message says what to fix. */
export class InvalidDatasetError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('INVALID_DATASET', message, opts);
  }
}

/** A command line that cannot be understood. */
export class UsageError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('USAGE', message, opts);
  }
}

/** bwrap, namespaces or cgroups are missing or broken: we refuse to run rather than run unconfined. */
export class SandboxUnavailableError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('SANDBOX_UNAVAILABLE', message, opts);
  }
}

export class UnknownRuntimeError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('UNKNOWN_RUNTIME', message, opts);
  }
}

export class FileNotFoundError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('FILE_NOT_FOUND', message, opts);
  }
}

export class EngineClosedError extends ScriptboxError {
  constructor() {
    super('ENGINE_CLOSED', 'this engine is closed; create a new one with createEngine()');
  }
}

/**
 * The JSON-RPC error codes the MCP face answers with (JSON-RPC 2.0's own, and MCP's -32002 "resource not
 * found"; -32000 is the generic server error the MCP SDK's transports answer with too).
 */
export const JSON_RPC = {
  SERVER_ERROR: -32_000,
  REQUEST_TIMEOUT: -32_001,
  RESOURCE_NOT_FOUND: -32_002,
  INVALID_REQUEST: -32_600,
  METHOD_NOT_FOUND: -32_601,
  INVALID_PARAMS: -32_602,
  INTERNAL_ERROR: -32_603,
} as const;

/** How each face reports one error code. */
export interface ErrorMapping {
  /** The CLI's exit code. */
  exit: number;
  /** The HTTP status of the REST API and of the Piston routes. */
  http: number;
  /**
   * MCP's JSON-RPC error code, for the requests that have no result to carry an error (resources/read): the
   * error's `data` holds `code` (this table's key) and the error's data. Inside tools/call every error is a
   * tool result with `isError: true` instead, its text `CODE: message`: the model reads it and can correct
   * its call (the MCP spec's "tool execution error"), where a protocol error would reach no one.
   */
  mcp: number;
}

/**
 * Every code and how each face reports it, in one place (pinned by test/unit/errors.test.ts): the caller's
 * mistakes exit 2 and are 4xx, limits exit 3, the host's own failures exit 70 and are 5xx. A script that
 * fails is not in this table: it is a result (exit codes by result kind in engine/result.ts). RATE_LIMITED
 * carries `data.retryAfterSeconds` for HTTP's `Retry-After` header.
 */
export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = {
  INVALID_OPTIONS: { exit: 2, http: 400, mcp: JSON_RPC.INVALID_PARAMS },
  // A run asked for more than a server-wide ceiling allows (engine/ceilings.ts): the caller's to fix.
  LIMIT_ABOVE_CEILING: { exit: 2, http: 400, mcp: JSON_RPC.INVALID_PARAMS },
  // A run or session asked for network the server (or the caller's token) does not grant: narrow the request.
  NETWORK_NOT_PERMITTED: { exit: 2, http: 403, mcp: JSON_RPC.INVALID_PARAMS },
  INVALID_DATASET: { exit: 2, http: 422, mcp: JSON_RPC.INVALID_PARAMS },
  USAGE: { exit: 2, http: 400, mcp: JSON_RPC.INVALID_PARAMS },
  // A request the HTTP face cannot read: not JSON, an unsupported content type, larger than the server takes.
  INVALID_REQUEST: { exit: 2, http: 400, mcp: JSON_RPC.INVALID_REQUEST },
  UNSUPPORTED_MEDIA_TYPE: { exit: 2, http: 415, mcp: JSON_RPC.INVALID_REQUEST },
  // Also a file sent to the Telegram bot above what it may download.
  PAYLOAD_TOO_LARGE: { exit: 2, http: 413, mcp: JSON_RPC.INVALID_PARAMS },
  UNKNOWN_RUNTIME: { exit: 2, http: 400, mcp: JSON_RPC.INVALID_PARAMS },
  // No such route (HTTP).
  NOT_FOUND: { exit: 2, http: 404, mcp: JSON_RPC.METHOD_NOT_FOUND },
  FILE_NOT_FOUND: { exit: 2, http: 404, mcp: JSON_RPC.RESOURCE_NOT_FOUND },
  TEMPLATE_NOT_FOUND: { exit: 2, http: 404, mcp: JSON_RPC.RESOURCE_NOT_FOUND },
  LIBRARY_NOT_FOUND: { exit: 2, http: 404, mcp: JSON_RPC.RESOURCE_NOT_FOUND },
  // No open session with that id for this caller (it closed, or is someone else's: the same answer).
  SESSION_NOT_FOUND: { exit: 2, http: 404, mcp: JSON_RPC.RESOURCE_NOT_FOUND },
  LIBRARY_CONFLICT: { exit: 2, http: 409, mcp: JSON_RPC.SERVER_ERROR },
  UNAUTHORIZED: { exit: 2, http: 401, mcp: JSON_RPC.SERVER_ERROR },
  // A limit was hit, like a run's own timeout or memory limit (exit 3 in engine/result.ts).
  RATE_LIMITED: { exit: 3, http: 429, mcp: JSON_RPC.SERVER_ERROR },
  TOOL_TIMEOUT: { exit: 3, http: 504, mcp: JSON_RPC.REQUEST_TIMEOUT },
  // Work stopped on request (Ctrl-C, a client gone, a shutdown): exit 1 like a cancelled run's result; only
  // a shutdown leaves someone to read the HTTP answer, hence 503.
  CANCELLED: { exit: 1, http: 503, mcp: JSON_RPC.SERVER_ERROR },
  SHUTTING_DOWN: { exit: 70, http: 503, mcp: JSON_RPC.SERVER_ERROR },
  SANDBOX_UNAVAILABLE: { exit: 70, http: 503, mcp: JSON_RPC.SERVER_ERROR },
  ENGINE_CLOSED: { exit: 70, http: 503, mcp: JSON_RPC.SERVER_ERROR },
  SESSION_CLOSED: { exit: 70, http: 410, mcp: JSON_RPC.SERVER_ERROR },
  // Another service failed us: the LLM, the Telegram Bot API's file download.
  GENERATION_FAILED: { exit: 70, http: 502, mcp: JSON_RPC.SERVER_ERROR },
  DOWNLOAD_FAILED: { exit: 70, http: 502, mcp: JSON_RPC.SERVER_ERROR },
  INTERNAL: { exit: 70, http: 500, mcp: JSON_RPC.INTERNAL_ERROR },
};

/** The code of anything thrown: a ScriptboxError's own, INTERNAL for everything else. */
export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof ScriptboxError ? err.code : 'INTERNAL';
}

/** The CLI exit code for anything thrown (70 for what is not a ScriptboxError). */
export function exitCodeForError(err: unknown): number {
  return ERROR_TABLE[errorCodeOf(err)].exit;
}

/** The HTTP status for anything thrown (500 for what is not a ScriptboxError). */
export function httpStatusForError(err: unknown): number {
  return ERROR_TABLE[errorCodeOf(err)].http;
}

/** The MCP JSON-RPC error code for anything thrown (-32603 for what is not a ScriptboxError). */
export function jsonRpcCodeForError(err: unknown): number {
  return ERROR_TABLE[errorCodeOf(err)].mcp;
}
