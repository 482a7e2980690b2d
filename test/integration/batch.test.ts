/** runBatch against real sandboxes: order, partial failure, item delivery, concurrency, cancellation. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createEngine,
  InvalidOptionsError,
  runBatch,
  SandboxUnavailableError,
  UnknownRuntimeError,
  type BatchProgress,
  type Engine,
  type RunOpts,
} from '../../src/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ limits: { timeoutMs: 5_000 } });
});
afterAll(async () => {
  await engine.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Wraps engine.run to count the runs in flight and to let a test replace one item's run. */
function watchRuns(override?: (opts: RunOpts) => void): { peak: () => number; calls: () => number } {
  const run = engine.run.bind(engine);
  let active = 0;
  let peak = 0;
  let calls = 0;
  vi.spyOn(engine, 'run').mockImplementation(async (opts) => {
    calls += 1;
    active += 1;
    peak = Math.max(peak, active);
    try {
      override?.(opts);
      return await run(opts);
    } finally {
      active -= 1;
    }
  });
  return { peak: () => peak, calls: () => calls };
}

const ECHO = 'import json, sys\nitem = json.load(sys.stdin)\nprint(json.dumps(item))';

describe('runBatch', () => {
  it('returns results in input order even when items finish in reverse order', async () => {
    const items = [0, 1, 2, 3, 4, 5].map((n) => ({ n, sleep: (6 - n) * 0.15 }));
    const source =
      'import json, sys, time\nitem = json.load(sys.stdin)\ntime.sleep(item["sleep"])\nprint(item["n"])';
    const finished: number[] = [];
    const batch = await runBatch(engine, {
      script: { language: 'python', source },
      items,
      concurrency: 6,
      onProgress: (p) => finished.push(p.index),
    });
    // The batch really did finish out of order...
    expect(finished).toHaveLength(6);
    expect(finished).not.toEqual([0, 1, 2, 3, 4, 5]);
    expect(finished.indexOf(5)).toBeLessThan(finished.indexOf(0));
    // ...and the results are still in input order, each with its own item's output.
    expect(batch.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batch.results.map((r) => r.result.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n', '5\n']);
    expect(batch.summary).toMatchObject({
      total: 6,
      succeeded: 6,
      failed: 0,
      byKind: { ok: 6 },
      cacheHits: 0,
    });
  });

  it('keeps going past failing items and counts every outcome exactly', async () => {
    const source = [
      'import json, sys, time',
      'item = json.load(sys.stdin)',
      'if item == "raise": raise ValueError("bad item")',
      'if item == "hang": time.sleep(60)',
      'print("done", item)',
    ].join('\n');
    const items = ['a', 'raise', 'b', 'hang', 'raise', 'c'];
    const progress: BatchProgress[] = [];
    const batch = await runBatch(engine, {
      script: { language: 'python', source },
      items,
      concurrency: 3,
      limits: { timeoutMs: 2_000 },
      onProgress: (p) => progress.push(p),
    });
    const kinds = batch.results.map((r) => (r.result.ok ? 'ok' : r.result.error?.kind));
    expect(kinds).toEqual(['ok', 'runtime', 'ok', 'timeout', 'runtime', 'ok']);
    expect(batch.results[1]?.result.error?.message).toMatch(/ValueError: bad item/);
    expect(batch.results[5]?.result.stdout).toBe('done c\n');
    const { summary } = batch;
    expect(summary).toMatchObject({ total: 6, succeeded: 3, failed: 3 });
    expect(summary.byKind).toEqual({ ok: 3, runtime: 2, timeout: 1 });
    expect(summary.cpuMs).toBe(batch.results.reduce((sum, r) => sum + r.result.usage.cpuMs, 0));
    expect(summary.wallMs).toBeGreaterThanOrEqual(
      Math.max(...batch.results.map((r) => r.result.usage.wallMs)),
    );
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.at(-1)).toMatchObject({ total: 6, succeeded: 3, failed: 3 });
    expect(progress.find((p) => p.index === 3)?.kind).toBe('timeout');
  });

  it('hands each item over on stdin and as a read-only item.json', async () => {
    const source = [
      'import json, sys',
      'from_stdin = json.load(sys.stdin)',
      'from_file = json.load(open("item.json"))',
      'try:',
      '    open("item.json", "w").write("changed")',
      '    writable = True',
      'except OSError:',
      '    writable = False',
      'print(json.dumps({"stdin": from_stdin, "file": from_file, "writable": writable}))',
    ].join('\n');
    const items = [{ text: 'héllo', list: [1, 2] }, null, 'line\nbreak'];
    const batch = await runBatch(engine, { script: { language: 'python', source }, items });
    const seen = batch.results.map((r) => JSON.parse(r.result.stdout) as unknown);
    expect(seen).toEqual(items.map((item) => ({ stdin: item, file: item, writable: false })));
  });

  it('never has more runs in flight than the concurrency', async () => {
    const runs = watchRuns();
    const batch = await runBatch(engine, {
      script: { language: 'python', source: 'import time; time.sleep(0.2)' },
      items: [1, 2, 3, 4, 5, 6, 7],
      concurrency: 3,
    });
    expect(batch.summary.succeeded).toBe(7);
    expect(runs.calls()).toBe(7);
    expect(runs.peak()).toBe(3);
  });

  it('records a host error thrown for one item as that item`s sandbox result', async () => {
    watchRuns((opts) => {
      if (opts.stdin === '"boom"') throw new SandboxUnavailableError('no sandbox for this one');
    });
    const batch = await runBatch(engine, {
      script: { language: 'python', source: ECHO },
      items: ['a', 'boom', 'b'],
    });
    expect(batch.results.map((r) => r.result.stdout)).toEqual(['"a"\n', '', '"b"\n']);
    expect(batch.results[1]?.result).toMatchObject({
      ok: false,
      language: 'python',
      error: { kind: 'sandbox', message: 'no sandbox for this one' },
    });
    expect(batch.summary.byKind).toEqual({ ok: 2, sandbox: 1 });
  });

  it('cancels running items, starts no more and still reports every index', async () => {
    const source =
      'import json, sys, time\nif json.load(sys.stdin) == "slow":\n    print("slow", flush=True)\n    time.sleep(60)\nprint("ran")';
    const controller = new AbortController();
    let abortedAt = 0;
    let slowRunning = 0;
    // Cancel once the two slow items that replaced the fast ones say they are under way.
    const runs = watchRuns((opts) => {
      opts.onStdout = (text) => {
        if (!text.includes('slow') || ++slowRunning !== 2) return;
        abortedAt = performance.now();
        controller.abort();
      };
    });
    const batch = await runBatch(engine, {
      script: { language: 'python', source },
      items: ['fast', 'fast', 'slow', 'slow', 'slow', 'slow', 'slow'],
      concurrency: 2,
      limits: { timeoutMs: 60_000 },
      signal: controller.signal,
    });
    expect(slowRunning).toBe(2);
    expect(performance.now() - abortedAt).toBeLessThan(3_000);
    expect(runs.calls()).toBe(4);
    expect(batch.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const kinds = batch.results.map((r) => (r.result.ok ? 'ok' : r.result.error?.kind));
    expect(kinds).toEqual(['ok', 'ok', 'cancelled', 'cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(batch.results[6]?.result.error?.message).toMatch(/before this item started/);
    expect(batch.summary).toMatchObject({
      total: 7,
      succeeded: 2,
      failed: 5,
      byKind: { ok: 2, cancelled: 5 },
    });
  });

  it('stops and rejects with the error an onProgress callback throws', async () => {
    const runs = watchRuns();
    const failure = new Error('progress callback broke');
    const batch = runBatch(engine, {
      script: { language: 'python', source: ECHO },
      items: [1, 2, 3, 4],
      concurrency: 1,
      onProgress: () => {
        throw failure;
      },
    });
    await expect(batch).rejects.toBe(failure);
    expect(runs.calls()).toBe(1);
  });

  it('rejects invalid options up front, naming each problem by its path', async () => {
    const runs = watchRuns();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const bad = {
      script: { language: 'python' },
      items: [1, cyclic, 2n, () => 1],
      concurrency: 0,
      limits: { timeoutMs: -5 },
      extra: true,
    };
    const error = await runBatch(engine, bad as never).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    const issues = (error as InvalidOptionsError).data['issues'] as string[];
    const paths = issues.map((issue) => issue.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'script.source',
        'items.1',
        'items.2',
        'items.3',
        'concurrency',
        'limits.timeoutMs',
      ]),
    );
    expect(issues.join('\n')).toMatch(/extra/);
    expect(paths).not.toContain('items.0');
    await expect(
      runBatch(engine, { script: { language: 'cobol', source: '' }, items: [1] }),
    ).rejects.toBeInstanceOf(UnknownRuntimeError);
    expect(runs.calls()).toBe(0);
  });
});
