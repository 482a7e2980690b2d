/**
 * Attack class: fork bomb. Python os.fork() loop, bash `:(){ :|:& };:`, node spawning nodes, all with a
 * unique marker in argv and a small maxProcesses.
 * Host-side assertions: the run ends on its own (processes / timeout / cpu / memory kind); the host's
 * /proc scan saw the bomb while it ran (control) but never more marker processes than maxProcesses; the
 * host's event loop kept ticking and it can still start processes; no marker process is left afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import {
  hostPidsWithMarker,
  hostResponsive,
  LANGS,
  newEngine,
  run,
  sleep,
  token,
  watchEventLoop,
  watchMarkerDuring,
  type Lang,
} from './support.js';

/** Node starts ~10 threads per process and the pids cgroup counts threads: give it room to fork a few. */
const MAX_PROCESSES: Record<Lang, number> = { python: 16, javascript: 64, bash: 16 };

/** stdin: the marker, which every bomb process carries in its argv. */
const BOMBS: Record<Lang, string> = {
  python: `
import os, sys
bomb = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
os.execv("/usr/bin/python3", ["python3", "-c", bomb, sys.stdin.read().strip()])
`,
  javascript: `
const { spawn } = require('child_process');
const marker = require('fs').readFileSync(0, 'utf8').trim();
const bomb = \`
const { spawn } = require('child_process');
const again = () => { try { spawn(process.execPath, ['-e', process.argv[1], process.argv[1], process.argv[2]], { stdio: 'ignore' }).on('error', () => {}); } catch {} };
setInterval(() => { again(); again(); }, 1);
\`;
spawn(process.execPath, ['-e', bomb, bomb, marker], { stdio: 'ignore' }).on('error', () => {});
setInterval(() => {}, 1000);
`,
  bash: `
read -r marker
exec bash -c ':(){ :|:& };:; sleep 10' "$marker"
`,
};

let engine: Engine;

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
});

describe.each(LANGS)('fork bomb (%s)', (lang) => {
  it(`is contained by maxProcesses=${MAX_PROCESSES[lang]}, the host stays responsive, nothing is left`, async () => {
    const marker = token('FORKBOMB-');
    const stall = watchEventLoop();
    const { result, seen } = await watchMarkerDuring(
      marker,
      run(engine, {
        language: lang,
        source: BOMBS[lang],
        stdin: `${marker}\n`,
        limits: { maxProcesses: MAX_PROCESSES[lang], timeoutMs: 3_000, cpuMs: 3_000, memoryMb: 256 },
      }),
    );
    const worstStall = stall();
    expect(result.ok).toBe(false);
    expect(['processes', 'timeout', 'cpu', 'memory']).toContain(result.error?.kind);
    expect(result.hostWallMs).toBeLessThan(3_000 + 2_000);
    // Control: the bomb really ran and the host scan saw it, yet never more processes than the limit.
    expect(seen).toBeGreaterThan(1);
    expect(seen).toBeLessThanOrEqual(MAX_PROCESSES[lang]);
    // The host's event loop kept turning: the marker scan itself is synchronous and takes up to ~1.5 s on
    // 2 cores while the rest of the suite runs, while an escaped bomb would freeze it for far longer.
    expect(worstStall).toBeLessThan(3_000);
    expect(hostResponsive()).toBe(true);
    expect(hostPidsWithMarker(marker)).toEqual([]);
    await sleep(300);
    expect(hostPidsWithMarker(marker)).toEqual([]);
  });
});
