/**
 * One error root for everything scriptbox itself fails at. A failing *script* is not an error:
 * the engine returns a result with `ok: false` (see engine/result.ts).
 */
export type ErrorCode =
  | 'INVALID_OPTIONS'
  | 'LIMIT_ABOVE_CEILING'
  | 'INVALID_DATASET'
  | 'USAGE'
  | 'SANDBOX_UNAVAILABLE'
  | 'UNKNOWN_RUNTIME'
  | 'FILE_NOT_FOUND'
  | 'ENGINE_CLOSED'
  | 'SESSION_CLOSED'
  | 'GENERATION_FAILED'
  | 'LIBRARY_NOT_FOUND'
  | 'LIBRARY_CONFLICT'
  | 'UNAUTHORIZED'
  | 'RATE_LIMITED'
  | 'TOOL_TIMEOUT'
  | 'INTERNAL';

export interface ScriptboxErrorOpts {
  data?: Record<string, unknown>;
  cause?: unknown;
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

/** CLI exit codes for host-side failures, one table for every face. Script outcomes map in engine/result.ts. */
export const EXIT_CODE_BY_ERROR: Record<ErrorCode, number> = {
  INVALID_OPTIONS: 2,
  // A run asked for more than a server-wide ceiling allows (engine/ceilings.ts): the caller's to fix.
  LIMIT_ABOVE_CEILING: 2,
  INVALID_DATASET: 2,
  USAGE: 2,
  UNKNOWN_RUNTIME: 2,
  FILE_NOT_FOUND: 2,
  LIBRARY_NOT_FOUND: 2,
  LIBRARY_CONFLICT: 2,
  UNAUTHORIZED: 2,
  // A limit was hit, like a run's own timeout or memory limit (exit 3 in engine/result.ts).
  RATE_LIMITED: 3,
  TOOL_TIMEOUT: 3,
  SANDBOX_UNAVAILABLE: 70,
  ENGINE_CLOSED: 70,
  SESSION_CLOSED: 70,
  GENERATION_FAILED: 70,
  INTERNAL: 70,
};

export function exitCodeForError(err: unknown): number {
  return err instanceof ScriptboxError ? EXIT_CODE_BY_ERROR[err.code] : 70;
}

/**
 * HTTP statuses for the service faces, one per code: the caller's mistakes are 4xx, the host's 5xx.
 * RATE_LIMITED carries `data.retryAfterSeconds` for the `Retry-After` header.
 */
export const HTTP_STATUS_BY_ERROR: Record<ErrorCode, number> = {
  INVALID_OPTIONS: 400,
  LIMIT_ABOVE_CEILING: 400,
  INVALID_DATASET: 422,
  USAGE: 400,
  UNKNOWN_RUNTIME: 400,
  FILE_NOT_FOUND: 404,
  LIBRARY_NOT_FOUND: 404,
  LIBRARY_CONFLICT: 409,
  UNAUTHORIZED: 401,
  RATE_LIMITED: 429,
  TOOL_TIMEOUT: 504,
  SANDBOX_UNAVAILABLE: 503,
  ENGINE_CLOSED: 503,
  SESSION_CLOSED: 410,
  GENERATION_FAILED: 502,
  INTERNAL: 500,
};

/** The HTTP status for anything thrown: a ScriptboxError's from the table, anything else 500. */
export function httpStatusForError(err: unknown): number {
  return err instanceof ScriptboxError ? HTTP_STATUS_BY_ERROR[err.code] : 500;
}
