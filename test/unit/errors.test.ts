import { describe, expect, it } from 'vitest';
import { exitCodeForResult, type ErrorKind, type RunResult } from '../../src/engine/result.js';
import {
  EXIT_CODE_BY_ERROR,
  exitCodeForError,
  HTTP_STATUS_BY_ERROR,
  httpStatusForError,
  InvalidOptionsError,
  SandboxUnavailableError,
  ScriptboxError,
  UsageError,
} from '../../src/errors.js';

describe('exit code tables (the CLI contract)', () => {
  it('maps host errors', () => {
    expect(EXIT_CODE_BY_ERROR).toEqual({
      INVALID_OPTIONS: 2,
      LIMIT_ABOVE_CEILING: 2,
      INVALID_DATASET: 2,
      USAGE: 2,
      UNKNOWN_RUNTIME: 2,
      FILE_NOT_FOUND: 2,
      LIBRARY_NOT_FOUND: 2,
      LIBRARY_CONFLICT: 2,
      UNAUTHORIZED: 2,
      RATE_LIMITED: 3,
      TOOL_TIMEOUT: 3,
      SANDBOX_UNAVAILABLE: 70,
      ENGINE_CLOSED: 70,
      SESSION_CLOSED: 70,
      GENERATION_FAILED: 70,
      INTERNAL: 70,
    });
    expect(exitCodeForError(new UsageError('x'))).toBe(2);
    expect(exitCodeForError(new SandboxUnavailableError('x'))).toBe(70);
    expect(exitCodeForError(new Error('x'))).toBe(70);
  });

  it('maps host errors to HTTP statuses (the service contract)', () => {
    expect(HTTP_STATUS_BY_ERROR).toEqual({
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
    });
    // Every code has both an exit code and a status.
    expect(Object.keys(HTTP_STATUS_BY_ERROR).sort()).toEqual(Object.keys(EXIT_CODE_BY_ERROR).sort());
    expect(httpStatusForError(new InvalidOptionsError('x', []))).toBe(400);
    expect(httpStatusForError(new ScriptboxError('RATE_LIMITED', 'slow down'))).toBe(429);
    expect(httpStatusForError(new Error('x'))).toBe(500);
  });

  it('maps every result kind', () => {
    const result = (kind: ErrorKind | null): RunResult =>
      ({ ok: kind === null, error: kind === null ? null : { kind, message: '' } }) as RunResult;
    const table = Object.fromEntries(
      (
        [
          'timeout',
          'cpu',
          'memory',
          'processes',
          'output_limit',
          'disk',
          'syntax',
          'rejected',
          'runtime',
          'sandbox',
          'cancelled',
        ] as const
      ).map((kind) => [kind, exitCodeForResult(result(kind))]),
    );
    expect(table).toEqual({
      timeout: 3,
      cpu: 3,
      memory: 3,
      processes: 3,
      output_limit: 3,
      disk: 3,
      syntax: 4,
      rejected: 4,
      runtime: 1,
      sandbox: 70,
      cancelled: 1,
    });
    expect(exitCodeForResult(result(null))).toBe(0);
  });

  it('errors carry a code, data and cause', () => {
    const cause = new Error('root');
    const err = new ScriptboxError('INTERNAL', 'boom', { data: { a: 1 }, cause });
    expect([err.code, err.data, err.cause, err.name]).toEqual([
      'INTERNAL',
      { a: 1 },
      cause,
      'ScriptboxError',
    ]);
    expect(new UsageError('u').name).toBe('UsageError');
  });
});
