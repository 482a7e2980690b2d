/**
 * A batch at its default concurrency with a caller's AbortSignal: every run in flight used to add its abort
 * listeners to that one signal, and Node printed `MaxListenersExceededWarning` at the 11th. Each run now
 * has a signal of its own; aborting the caller's still cancels them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_CONCURRENCY } from '../../src/engine/batch.js';
import { createEngine, runBatch, type Engine } from '../../src/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 20_000 } });
});
afterAll(async () => {
  await engine.close();
});

/** The process warnings emitted while `work` runs (and the tick after, when Node emits them). */
async function warningsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = [];
  const listener = (warning: Error): void => {
    warnings.push(`${warning.name}: ${warning.message}`);
  };
  process.on('warning', listener);
  try {
    await work();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return warnings;
}

const ITEMS = Array.from({ length: DEFAULT_BATCH_CONCURRENCY + 2 }, (_, n) => n);

describe('runBatch with a signal', () => {
  it('runs more than 11 items at the default concurrency without a listener warning', async () => {
    expect(DEFAULT_BATCH_CONCURRENCY).toBeGreaterThan(10);
    const controller = new AbortController();
    let succeeded = -1;
    const warnings = await warningsDuring(async () => {
      const batch = await runBatch(engine, {
        script: { language: 'python', source: 'import json, sys\nprint(json.load(sys.stdin) * 2)' },
        items: ITEMS,
        signal: controller.signal,
      });
      succeeded = batch.summary.succeeded;
      expect(batch.results.map(({ result }) => result.stdout)).toEqual(ITEMS.map((n) => `${n * 2}\n`));
    });
    expect(succeeded).toBe(ITEMS.length);
    expect(warnings).toEqual([]);
  });

  it('aborting the signal still cancels every run in flight, without a warning', async () => {
    const controller = new AbortController();
    // The caller aborts once every run of the first round has started.
    let started = 0;
    const watched = {
      runtimes: engine.runtimes,
      ceilings: engine.ceilings,
      run: (opts: Parameters<Engine['run']>[0]) => {
        started += 1;
        if (started === DEFAULT_BATCH_CONCURRENCY) setImmediate(() => controller.abort());
        return engine.run(opts);
      },
    };
    const warnings = await warningsDuring(async () => {
      const batch = await runBatch(watched, {
        script: { language: 'python', source: 'import time\ntime.sleep(30)' },
        items: ITEMS,
        signal: controller.signal,
      });
      expect(batch.summary.byKind).toEqual({ cancelled: ITEMS.length });
    });
    expect(started).toBe(DEFAULT_BATCH_CONCURRENCY);
    expect(warnings).toEqual([]);
  });
});
