/**
 * Server-wide ceilings (DESIGN.md section 4: every limit under a ceiling no request can exceed). A caller
 * asking for more memory, time or processes than the server allows is refused before any sandbox starts,
 * on every path into the engine (run, stream, batch, session creation, each session run). The host-side
 * facts: no sandbox:create and no run:start event for a refused request, and a run at the ceiling really is
 * held to it (a memory bomb at the memory ceiling is killed at it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitAboveCeilingError } from '../../src/engine/ceilings.js';
import { createEngine, type Engine, type EngineEvents, type PartialLimits } from '../../src/index.js';

const CEILINGS = {
  timeoutMs: 4_000,
  cpuMs: 4_000,
  memoryMb: 96,
  maxProcesses: 32,
  maxOutputBytes: 65_536,
  diskMb: 16,
  maxOutFiles: 10,
  maxOutBytes: 1_048_576,
} as const;

/** One request above the ceiling per limit, each still inside the schema's own range. */
const ABOVE: Array<[keyof typeof CEILINGS, PartialLimits]> = Object.entries(CEILINGS).map(
  ([key, ceiling]) => [key as keyof typeof CEILINGS, { [key]: ceiling + 1 }],
);

let engine: Engine;
const created: Array<EngineEvents['sandbox:create']> = [];
const started: Array<EngineEvents['run:start']> = [];

beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 }, ceilings: CEILINGS, limits: { timeoutMs: 3_000 } });
  engine.events.on('sandbox:create', (event) => created.push(event));
  engine.events.on('run:start', (event) => started.push(event));
});

afterAll(async () => {
  await engine?.close();
});

/** Runs `request`, expects a ceiling refusal for `limit`, and that nothing started meanwhile. */
async function expectRefused(
  limit: keyof typeof CEILINGS,
  request: () => Promise<unknown>,
): Promise<LimitAboveCeilingError> {
  const sandboxesBefore = created.length;
  const runsBefore = started.length;
  let caught: unknown;
  try {
    await request();
  } catch (err) {
    caught = err;
  }
  expect(caught, `a request above the ${limit} ceiling was not refused`).toBeInstanceOf(
    LimitAboveCeilingError,
  );
  const err = caught as LimitAboveCeilingError;
  expect(err.code).toBe('LIMIT_ABOVE_CEILING');
  expect(err.breach).toEqual({ limit, requested: CEILINGS[limit] + 1, ceiling: CEILINGS[limit] });
  expect(err.message).toContain(`limits.${limit}`);
  expect(err.message).toContain(`ceiling of ${CEILINGS[limit]}`);
  expect(created.length, 'a sandbox was started for a refused request').toBe(sandboxesBefore);
  expect(started.length, 'a run started for a refused request').toBe(runsBefore);
  return err;
}

describe('server-wide ceilings', () => {
  it('the engine reports the ceilings it enforces', () => {
    expect(engine.ceilings).toEqual(CEILINGS);
  });

  it.each(ABOVE)(
    'engine.run above the %s ceiling is refused before any sandbox starts',
    async (limit, limits) => {
      await expectRefused(limit, () => engine.run({ language: 'python', source: 'print(1)', limits }));
    },
  );

  it('engine.stream and runBatch above a ceiling are refused before any sandbox starts', async () => {
    await expectRefused('memoryMb', () => {
      const stream = engine.stream({ language: 'bash', source: 'echo hi', limits: { memoryMb: 97 } });
      return stream.result;
    });
    await expectRefused('maxProcesses', () =>
      engine.runBatch({
        script: { language: 'python', source: 'print(1)' },
        items: [1, 2, 3],
        limits: { maxProcesses: 33 },
      }),
    );
  });

  it('a session cannot be created above a ceiling, and none of its runs may ask above one', async () => {
    await expectRefused('memoryMb', () =>
      engine.createSession({ language: 'python', limits: { memoryMb: 97 } }),
    );
    const session = await engine.createSession({ language: 'python' });
    try {
      await expectRefused('timeoutMs', () =>
        session.run({ source: 'print(1)', limits: { timeoutMs: 4_001 } }),
      );
      await expectRefused(
        'memoryMb',
        () => session.stream({ source: 'print(1)', limits: { memoryMb: 97 } }).result,
      );
      // Control: the session is still usable, and a run at the ceilings runs in it.
      const ok = await session.run({
        source: 'print("SESSION-OK")',
        limits: { memoryMb: 96, timeoutMs: 4_000 },
      });
      expect(ok.stdout).toBe('SESSION-OK\n');
      expect(ok.ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('a request at every ceiling runs', async () => {
    const before = created.length;
    const result = await engine.run({
      language: 'python',
      source: 'x = bytearray(32 * 1024 * 1024)\nprint("AT-CEILING", len(x))',
      limits: CEILINGS,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`AT-CEILING ${32 * 1024 * 1024}\n`);
    expect(result.ok).toBe(true);
    expect(created.length).toBe(before + 1);
  });

  it('a run at the memory ceiling is held to it: a memory bomb is killed there', async () => {
    const result = await engine.run({
      language: 'python',
      source: 'chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 1024 * 1024))\n',
      limits: { memoryMb: CEILINGS.memoryMb },
    });
    expect(result.error?.kind).toBe('memory');
    expect(result.usage.peakMemoryBytes).toBeLessThanOrEqual(CEILINGS.memoryMb * 1_048_576);
    expect(result.usage.peakMemoryBytes).toBeGreaterThan(48 * 1_048_576);
  });

  it('engine defaults above a ceiling are refused when the engine is created', async () => {
    await expect(
      createEngine({ pool: { size: 0 }, ceilings: { memoryMb: 64 }, limits: { memoryMb: 128 } }),
    ).rejects.toThrow(/limits\.memoryMb: the default 128 is above its ceiling 64/);
  });
});
