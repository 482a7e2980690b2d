import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type EngineEvents } from '../../src/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 5_000 } });
});
afterAll(async () => {
  await engine.close();
});

const SLOW_PRINT =
  'import sys, time\nprint("first", flush=True)\ntime.sleep(0.4)\nprint("second")\nprint("oops", file=sys.stderr)';
/** Writes the euro sign one byte at a time, flushing in between, so it arrives split across chunks. */
const SPLIT_EURO =
  'import sys, time\nfor b in "€uro".encode():\n    sys.stdout.buffer.write(bytes([b]))\n    sys.stdout.buffer.flush()\n    time.sleep(0.02)';

describe('streaming output', () => {
  it('delivers output while the script still runs', async () => {
    const seen: Array<{ text: string; at: number }> = [];
    const started = performance.now();
    const result = await engine.run({
      language: 'python',
      source: SLOW_PRINT,
      onStdout: (text) => seen.push({ text, at: performance.now() - started }),
    });
    const finishedAt = performance.now() - started;
    expect(seen.map((s) => s.text).join('')).toBe(result.stdout);
    expect(seen[0]?.text).toBe('first\n');
    expect(finishedAt - (seen[0]?.at ?? finishedAt)).toBeGreaterThan(300);
  });

  it('engine.stream: an async iterator over both streams, then the result', async () => {
    const run = engine.stream({ language: 'python', source: SLOW_PRINT });
    const chunks: string[] = [];
    for await (const chunk of run) chunks.push(`${chunk.stream}:${chunk.text}`);
    const result = await run.result;
    expect(chunks.filter((c) => c.startsWith('stdout:')).join('')).toBe('stdout:first\nstdout:second\n');
    expect(chunks).toContain('stderr:oops\n');
    expect(result.stdout).toBe('first\nsecond\n');
  });

  it('decodes characters split across chunks', async () => {
    let text = '';
    await engine.run({ language: 'python', source: SPLIT_EURO, onStdout: (t) => (text += t) });
    expect(text).toBe('€uro');
  });

  it('streams from a session without ever showing its end token', async () => {
    const session = await engine.createSession({ language: 'python' });
    try {
      for (const source of [SLOW_PRINT, SPLIT_EURO, 'print("x" * 5000, end="")']) {
        let streamed = '';
        let streamedErr = '';
        const result = await session.run({
          source,
          onStdout: (t) => (streamed += t),
          onStderr: (t) => (streamedErr += t),
        });
        expect(streamed).toBe(result.stdout);
        expect(streamedErr).toBe(result.stderr);
      }
      const run = session.stream({ source: 'print("streamed")' });
      const texts: string[] = [];
      for await (const chunk of run) texts.push(chunk.text);
      expect(texts.join('')).toBe('streamed\n');
      expect((await run.result).stdout).toBe('streamed\n');
    } finally {
      await session.close();
    }
  });

  it('stops streaming at the output cap', async () => {
    let streamed = '';
    const result = await engine.run({
      language: 'python',
      source: 'print("y" * 100_000)',
      limits: { maxOutputBytes: 2_000 },
      onStdout: (t) => (streamed += t),
    });
    expect(result.error?.kind).toBe('output_limit');
    expect(streamed).toBe(result.stdout);
    expect(streamed.length).toBe(2_000);
  });
});

describe('engine events', () => {
  it('reports runs, sandboxes and pool refills with matching ids', async () => {
    const pooled = await createEngine({ pool: { size: 1 } });
    const log: Array<{ name: keyof EngineEvents; event: EngineEvents[keyof EngineEvents] }> = [];
    const record =
      <K extends keyof EngineEvents>(name: K) =>
      (event: EngineEvents[K]): void => {
        log.push({ name, event });
      };
    for (const name of [
      'run:start',
      'run:finish',
      'sandbox:create',
      'sandbox:destroy',
      'pool:refill',
    ] as const) {
      pooled.events.on(name, record(name));
    }
    try {
      await pooled.warm('bash');
      await pooled.run({ language: 'bash', source: 'exit 3' });
      const session = await pooled.createSession({ language: 'python' });
      await session.run({ source: 'print(1)' });
      await session.close();
    } finally {
      await pooled.close();
    }
    const names = log.map((entry) => entry.name);
    expect(names.slice(0, 3)).toEqual(['sandbox:create', 'pool:refill', 'run:start']);
    const [start, finish] = log.filter((e) => e.name.startsWith('run:')).map((e) => e.event) as [
      EngineEvents['run:start'],
      EngineEvents['run:finish'],
    ];
    expect(finish).toMatchObject({
      runId: start.runId,
      language: 'bash',
      ok: false,
      kind: 'runtime',
      sessionId: null,
    });
    const sessionRuns = log
      .filter((e) => e.name === 'run:finish')
      .map((e) => e.event as EngineEvents['run:finish']);
    expect(sessionRuns[1]).toMatchObject({ language: 'python', ok: true });
    expect(sessionRuns[1]?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const created = log
      .filter((e) => e.name === 'sandbox:create')
      .map((e) => e.event as EngineEvents['sandbox:create']);
    const destroyed = log
      .filter((e) => e.name === 'sandbox:destroy')
      .map((e) => (e.event as EngineEvents['sandbox:destroy']).sandboxId);
    expect(created.map((c) => c.purpose)).toEqual(expect.arrayContaining(['pool', 'session']));
    expect(destroyed.sort()).toEqual(created.map((c) => c.sandboxId).sort());
  });
});
