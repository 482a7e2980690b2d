import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config.js';
import { resolveLimits } from '../../src/engine/resolve-options.js';
import { enforceCeilings, LimitAboveCeilingError, withinCeilings } from '../../src/engine/ceilings.js';
import { DEFAULT_CEILINGS, DEFAULT_LIMITS, defaultCeilings } from '../../src/engine/options.js';
import { exitCodeForError, httpStatusForError, InvalidOptionsError } from '../../src/errors.js';
import { cliCeilingMessage } from '../../src/faces/cli/run-options.js';
import { pistonCeilingMessage } from '../../src/faces/http/piston.js';

const GiB = 1024 ** 3;
const HOST = 23 * GiB; // this machine kind

describe('default ceilings', () => {
  it('cap memory at half the host RAM in whole MiB, at most 16 GiB, never under 8 MiB', () => {
    expect(defaultCeilings(HOST).memoryMb).toBe(11_776);
    expect(defaultCeilings(64 * GiB).memoryMb).toBe(16_384);
    expect(defaultCeilings(1000 * 1_048_576 + 3).memoryMb).toBe(500);
    expect(defaultCeilings(4 * 1_048_576).memoryMb).toBe(8);
  });

  it('have the documented values for the other limits, and the built-in defaults fit under them', () => {
    expect(defaultCeilings(HOST)).toEqual({
      timeoutMs: 600_000,
      cpuMs: 600_000,
      memoryMb: 11_776,
      maxProcesses: 1024,
      maxOutputBytes: 67_108_864,
      diskMb: 4096,
      maxOutFiles: 10_000,
      maxOutBytes: 1_073_741_824,
    });
    for (const [key, value] of Object.entries(DEFAULT_LIMITS))
      expect(value, key).toBeLessThanOrEqual(defaultCeilings(HOST)[key as keyof typeof DEFAULT_LIMITS]);
  });
});

describe('resolveLimits', () => {
  it('takes each ceiling from the engine option, else SCRIPTBOX_MAX_*, else the default', () => {
    const env = readEnv({ SCRIPTBOX_MAX_MEMORY_MB: '2048', SCRIPTBOX_MAX_TIMEOUT_MS: '90000' });
    expect(env.ceilings).toEqual({ memoryMb: 2048, timeoutMs: 90_000 });
    const { ceilings, limits } = resolveLimits({ ceilings: { memoryMb: 1024 } }, env, HOST);
    expect(ceilings.memoryMb).toBe(1024); // option over env
    expect(ceilings.timeoutMs).toBe(90_000); // env over default
    expect(ceilings.cpuMs).toBe(DEFAULT_CEILINGS.cpuMs); // default
    expect(limits).toEqual(DEFAULT_LIMITS);
  });

  it('reads every SCRIPTBOX_MAX_* variable', () => {
    const env = readEnv({
      SCRIPTBOX_MAX_TIMEOUT_MS: '1000',
      SCRIPTBOX_MAX_CPU_MS: '2000',
      SCRIPTBOX_MAX_MEMORY_MB: '300',
      SCRIPTBOX_MAX_PROCESSES: '40',
      SCRIPTBOX_MAX_OUTPUT_BYTES: '5000',
      SCRIPTBOX_MAX_DISK_MB: '70',
      SCRIPTBOX_MAX_OUT_FILES: '7',
      SCRIPTBOX_MAX_OUT_BYTES: '9000',
    });
    expect(resolveLimits({}, env, HOST).ceilings).toEqual({
      timeoutMs: 1000,
      cpuMs: 2000,
      memoryMb: 300,
      maxProcesses: 40,
      maxOutputBytes: 5000,
      diskMb: 70,
      maxOutFiles: 7,
      maxOutBytes: 9000,
    });
  });

  it('refuses a SCRIPTBOX_MAX_* value outside the limit range, naming the variable', () => {
    expect(() => readEnv({ SCRIPTBOX_MAX_MEMORY_MB: '100000' })).toThrow(/SCRIPTBOX_MAX_MEMORY_MB/);
    expect(() => readEnv({ SCRIPTBOX_MAX_PROCESSES: 'many' })).toThrow(/SCRIPTBOX_MAX_PROCESSES/);
  });

  it('lowers a built-in default to a smaller ceiling', () => {
    const { limits } = resolveLimits({ ceilings: { memoryMb: 100, timeoutMs: 500 } }, readEnv({}), HOST);
    expect(limits.memoryMb).toBe(100);
    expect(limits.timeoutMs).toBe(500);
    expect(limits.cpuMs).toBe(DEFAULT_LIMITS.cpuMs);
  });

  it('takes default limits from the engine option over the environment, up to the ceiling', () => {
    const env = readEnv({ SCRIPTBOX_MEMORY_MB: '300', SCRIPTBOX_TIMEOUT_MS: '4000' });
    const { limits } = resolveLimits({ limits: { memoryMb: 512 } }, env, HOST);
    expect(limits.memoryMb).toBe(512);
    expect(limits.timeoutMs).toBe(4000);
  });

  it('refuses a default set explicitly above its ceiling, saying where it was set and how to fix it', () => {
    const fromOption = (): unknown =>
      resolveLimits({ limits: { memoryMb: 4096 }, ceilings: { memoryMb: 1024 } }, readEnv({}), HOST);
    expect(fromOption).toThrow(InvalidOptionsError);
    expect(fromOption).toThrow(/limits\.memoryMb: the default 4096 is above its ceiling 1024/);
    const fromEnv = (): unknown =>
      resolveLimits({}, readEnv({ SCRIPTBOX_MEMORY_MB: '4096', SCRIPTBOX_MAX_MEMORY_MB: '1024' }), HOST);
    expect(fromEnv).toThrow(
      /SCRIPTBOX_MEMORY_MB: the default 4096 is above its ceiling 1024 .*SCRIPTBOX_MAX_MEMORY_MB/,
    );
  });
});

describe('enforceCeilings', () => {
  const ceilings = defaultCeilings(HOST);

  it('lets limits at or under their ceilings (and unset ones) through', () => {
    expect(() => enforceCeilings(undefined, ceilings)).not.toThrow();
    expect(() => enforceCeilings({ memoryMb: 11_776, timeoutMs: 600_000 }, ceilings)).not.toThrow();
  });

  it('refuses the first limit above its ceiling with code, data and a message naming the fix', () => {
    let caught: unknown;
    try {
      enforceCeilings({ timeoutMs: 1000, memoryMb: 11_777 }, ceilings);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LimitAboveCeilingError);
    const err = caught as LimitAboveCeilingError;
    expect(err.code).toBe('LIMIT_ABOVE_CEILING');
    expect(err.data).toEqual({ limit: 'memoryMb', requested: 11_777, ceiling: 11_776 });
    expect(err.message).toBe(
      "limits.memoryMb: 11777 MiB is above the server's ceiling of 11776 MiB; ask for at most 11776 " +
        '(the ceiling is set by SCRIPTBOX_MAX_MEMORY_MB or the engine option ceilings.memoryMb)',
    );
    expect(httpStatusForError(err)).toBe(400);
    expect(exitCodeForError(err)).toBe(2);
  });

  it("lowers a face's own defaults (not a caller's request) to the ceilings", () => {
    const low = { ...ceilings, memoryMb: 1000, timeoutMs: 20_000 };
    expect(withinCeilings({ memoryMb: 2048, timeoutMs: 10_000 }, low)).toEqual({
      memoryMb: 1000,
      timeoutMs: 10_000,
    });
    expect(withinCeilings({}, low)).toEqual({});
  });

  it('is worded by each face with its own name for the limit', () => {
    const breach = { limit: 'memoryMb', requested: 30_000, ceiling: 11_776 } as const;
    expect(cliCeilingMessage(breach)).toBe(
      '--memory 30000 is above the ceiling of 11776 MiB; pass at most --memory 11776, or raise the ceiling ' +
        'with SCRIPTBOX_MAX_MEMORY_MB',
    );
    expect(pistonCeilingMessage(breach)).toBe(
      "run_memory_limit cannot exceed the configured limit of 12348030976 (the server's ceiling " +
        'SCRIPTBOX_MAX_MEMORY_MB=11776 MiB)',
    );
    expect(pistonCeilingMessage({ limit: 'timeoutMs', requested: 700_000, ceiling: 600_000 })).toBe(
      "run_timeout cannot exceed the configured limit of 600000 (the server's ceiling " +
        'SCRIPTBOX_MAX_TIMEOUT_MS=600000 ms)',
    );
  });
});
