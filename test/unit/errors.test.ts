import { describe, expect, it } from 'vitest';
import { exitCodeForResult, type ErrorKind, type RunResult } from '../../src/engine/result.js';
import {
  ERROR_TABLE,
  errorCodeOf,
  exitCodeForError,
  httpStatusForError,
  InvalidOptionsError,
  JSON_RPC,
  jsonRpcCodeForError,
  SandboxUnavailableError,
  ScriptboxError,
  UsageError,
} from '../../src/errors.js';
import { DownloadError } from '../../src/faces/telegram/uploads.js';
import { SandboxStartError } from '../../src/sandbox/sandbox.js';
import { UidWaitCancelledError } from '../../src/sandbox/uid-pool.js';

describe('the error table: every code to an exit code, an HTTP status and an MCP error', () => {
  it('pins every code (adding one fails here until it is decided for every face)', () => {
    const table = Object.fromEntries(
      Object.entries(ERROR_TABLE).map(([code, { exit, http, mcp }]) => [code, [exit, http, mcp]]),
    );
    const { INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, RESOURCE_NOT_FOUND } = JSON_RPC;
    const { SERVER_ERROR, REQUEST_TIMEOUT, INTERNAL_ERROR } = JSON_RPC;
    expect(table).toEqual({
      // The caller's mistakes: exit 2, 4xx.
      INVALID_OPTIONS: [2, 400, INVALID_PARAMS],
      LIMIT_ABOVE_CEILING: [2, 400, INVALID_PARAMS],
      NETWORK_NOT_PERMITTED: [2, 403, INVALID_PARAMS],
      INVALID_DATASET: [2, 422, INVALID_PARAMS],
      USAGE: [2, 400, INVALID_PARAMS],
      INVALID_REQUEST: [2, 400, INVALID_REQUEST],
      UNSUPPORTED_MEDIA_TYPE: [2, 415, INVALID_REQUEST],
      PAYLOAD_TOO_LARGE: [2, 413, INVALID_PARAMS],
      UNKNOWN_RUNTIME: [2, 400, INVALID_PARAMS],
      NOT_FOUND: [2, 404, METHOD_NOT_FOUND],
      FILE_NOT_FOUND: [2, 404, RESOURCE_NOT_FOUND],
      TEMPLATE_NOT_FOUND: [2, 404, RESOURCE_NOT_FOUND],
      LIBRARY_NOT_FOUND: [2, 404, RESOURCE_NOT_FOUND],
      SESSION_NOT_FOUND: [2, 404, RESOURCE_NOT_FOUND],
      LIBRARY_CONFLICT: [2, 409, SERVER_ERROR],
      UNAUTHORIZED: [2, 401, SERVER_ERROR],
      // Limits: exit 3.
      RATE_LIMITED: [3, 429, SERVER_ERROR],
      TOOL_TIMEOUT: [3, 504, REQUEST_TIMEOUT],
      CANCELLED: [1, 503, SERVER_ERROR],
      // The host's own failures: exit 70, 5xx.
      SHUTTING_DOWN: [70, 503, SERVER_ERROR],
      SANDBOX_UNAVAILABLE: [70, 503, SERVER_ERROR],
      ENGINE_CLOSED: [70, 503, SERVER_ERROR],
      SESSION_CLOSED: [70, 410, SERVER_ERROR],
      GENERATION_FAILED: [70, 502, SERVER_ERROR],
      DOWNLOAD_FAILED: [70, 502, SERVER_ERROR],
      INTERNAL: [70, 500, INTERNAL_ERROR],
    });
    expect(JSON_RPC).toEqual({
      SERVER_ERROR: -32000,
      REQUEST_TIMEOUT: -32001,
      RESOURCE_NOT_FOUND: -32002,
      INVALID_REQUEST: -32600,
      METHOD_NOT_FOUND: -32601,
      INVALID_PARAMS: -32602,
      INTERNAL_ERROR: -32603,
    });
  });

  it("the caller's mistakes (exit 2) are 4xx everywhere; no 4xx is an internal error over MCP", () => {
    for (const [code, { exit, http, mcp }] of Object.entries(ERROR_TABLE)) {
      if (exit === 2) expect([code, http >= 400 && http < 500]).toEqual([code, true]);
      if (http < 500) expect([code, mcp]).not.toEqual([code, JSON_RPC.INTERNAL_ERROR]);
    }
  });

  it('looks up anything thrown; what is not a ScriptboxError is internal', () => {
    expect(exitCodeForError(new UsageError('x'))).toBe(2);
    expect(exitCodeForError(new SandboxUnavailableError('x'))).toBe(70);
    expect(exitCodeForError(new Error('x'))).toBe(70);
    expect(httpStatusForError(new InvalidOptionsError('x', []))).toBe(400);
    expect(httpStatusForError(new ScriptboxError('RATE_LIMITED', 'slow down'))).toBe(429);
    expect(httpStatusForError(new Error('x'))).toBe(500);
    expect(jsonRpcCodeForError(new ScriptboxError('LIBRARY_NOT_FOUND', 'x'))).toBe(-32002);
    expect(jsonRpcCodeForError(new Error('x'))).toBe(-32603);
    expect([errorCodeOf(new UsageError('x')), errorCodeOf('thrown text')]).toEqual(['USAGE', 'INTERNAL']);
  });

  it('errors thrown below the faces are ScriptboxErrors with a code from the table', () => {
    const thrown = [
      new SandboxStartError('bwrap: setting up uid map: Permission denied'),
      new UidWaitCancelledError(),
      new DownloadError('getFile failed: Bad Request: file is too big', true),
      new DownloadError('download failed: HTTP 502'),
    ];
    expect(thrown.map((err) => [err instanceof ScriptboxError, err.code, err.name])).toEqual([
      [true, 'SANDBOX_UNAVAILABLE', 'SandboxStartError'],
      [true, 'CANCELLED', 'UidWaitCancelledError'],
      [true, 'PAYLOAD_TOO_LARGE', 'DownloadError'],
      [true, 'DOWNLOAD_FAILED', 'DownloadError'],
    ]);
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
