/**
 * Load through the HTTP API (loopback only, bounded): one-shot runs at concurrency 32 via POST /v1/runs,
 * each result checked against its own request (nothing lost or mixed up), server memory sampled as it
 * goes; next to it, the same runs through the library call (engine.run) at the same concurrency.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '../src/faces/http/server.js';
import { createEngine, type Engine, type RunResult } from '../src/index.js';
import { openLibrary } from '../src/library/index.js';
import { createGuard } from '../src/access/guard.js';
import { summarize } from './stats.js';

const RUNS = Number(process.env['BENCH_HTTP_RUNS'] ?? 2_000);
const CONCURRENCY = 32;

/** Heap in use after a full collection (`npm run bench` runs node with --expose-gc). */
function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the benchmark with node --expose-gc (npm run bench does)');
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The pids of the bwrap processes this process started that are alive now. Other engines of this process
 * (`npm run bench` keeps a warm pool open in another engine) have theirs too: compare sets taken before
 * and after, never a bare count.
 */
function liveSandboxPids(): Set<number> {
  const pids = new Set<number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('/usr/bin/bwrap'))
        pids.add(Number(pid));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** The sandboxes of `engine` that it created and has not destroyed yet, from its own events. */
function openSandboxesOf(engine: Engine): () => string[] {
  const created = new Set<string>();
  const destroyed = new Set<string>();
  engine.events.on('sandbox:create', ({ sandboxId }) => created.add(sandboxId));
  engine.events.on('sandbox:destroy', ({ sandboxId }) => destroyed.add(sandboxId));
  return () => [...created].filter((id) => !destroyed.has(id));
}

/** Runs `work(i)` for i < RUNS with at most CONCURRENCY at once; returns each call's latency in ms. */
async function drive(work: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < RUNS; i = next++) {
        const t = performance.now();
        await work(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

function expectOwn(result: RunResult, i: number): void {
  if (!result.ok || result.stdout !== `${i}\n`) {
    throw new Error(`run ${i} came back wrong: ${JSON.stringify({ ok: result.ok, stdout: result.stdout })}`);
  }
}

/** The load; `serverSandboxesLeft` are those of the server's engine still open after the server closed. */
export async function benchHttp(): Promise<{
  report: Record<string, unknown>;
  serverSandboxesLeft: string[];
}> {
  const home = mkdtempSync(join(tmpdir(), 'scriptbox-bench-http-'));
  const library = openLibrary({ home });
  const guard = createGuard({ library, defaults: { runsPerMinute: 1_000_000, cpuSecondsPerDay: 1_000_000 } });
  const engine = await createEngine({ pool: { size: 4 } });
  const openSandboxes = openSandboxesOf(engine);
  const app = await createServer({ engine, library, guard });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const memory: number[] = [];
  let report: Record<string, unknown>;
  try {
    await engine.warm('python');
    const http = await drive(async (i) => {
      const response = await fetch(`${address}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', source: `print(${i})` }),
      });
      expectOwn((await response.json()) as RunResult, i);
      if (i % 100 === 0) memory.push(heapAfterGc());
    });
    const direct = await createEngine({ pool: { size: 4 } });
    let libraryRuns = { latencies: [] as number[], seconds: 1 };
    try {
      await direct.warm('python');
      libraryRuns = await drive(async (i) =>
        expectOwn(await direct.run({ language: 'python', source: `print(${i})` }), i),
      );
    } finally {
      await direct.close();
    }
    const mib = (bytes: number): number => Math.round(bytes / 1_048_576);
    report = {
      runs: RUNS,
      concurrency: CONCURRENCY,
      lostOrMixedUp: 0,
      http: { runsPerSecond: Math.round(RUNS / http.seconds), latency: summarize('httpRun', http.latencies) },
      libraryCall: {
        runsPerSecond: Math.round(RUNS / libraryRuns.seconds),
        latency: summarize('engineRun', libraryRuns.latencies),
      },
      // The heap after a full GC every 100 runs (RSS also counts what V8 and the allocator keep reserved).
      serverHeapAfterGcMiB: {
        first: mib(memory[0] ?? 0),
        last: mib(memory.at(-1) ?? 0),
        max: mib(Math.max(...memory)),
      },
      serverRssMiB: mib(process.memoryUsage().rss),
    };
  } finally {
    await app.close(); // closes the engine too
    rmSync(home, { recursive: true, force: true });
  }
  return { report, serverSandboxesLeft: openSandboxes() };
}

/**
 * The load run, then the check that the server's shutdown left no sandbox of its own: none its engine
 * did not report destroyed, and no sandbox process started during the load still alive (sandboxes of
 * other engines of this process, like the warm pool of `npm run bench`, are none of its business).
 */
export async function benchHttpLoad(): Promise<Record<string, unknown>> {
  const before = liveSandboxPids();
  const { report, serverSandboxesLeft } = await benchHttp();
  const processesLeft = [...liveSandboxPids()].filter((pid) => !before.has(pid));
  if (serverSandboxesLeft.length > 0 || processesLeft.length > 0) {
    throw new Error(
      `the server's close() left ${serverSandboxesLeft.length} sandboxes not destroyed ` +
        `(${serverSandboxesLeft.join(', ') || 'none'}) and ${processesLeft.length} sandbox processes alive ` +
        `(pids ${processesLeft.join(', ') || 'none'})`,
    );
  }
  return { ...report, sandboxesLeftAfterClose: serverSandboxesLeft.length };
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  process.stdout.write(`${JSON.stringify(await benchHttpLoad(), null, 2)}\n`);
}
