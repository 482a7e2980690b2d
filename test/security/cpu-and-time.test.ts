/**
 * Attack class: infinite loops and hangs. A busy loop (killed at the CPU limit), a busy loop across two
 * processes (CPU is summed), a sleep that ignores SIGTERM/SIGINT/SIGHUP (killed at the wall-clock limit),
 * and a busy loop that left a helper process with a unique marker running.
 * Host-side assertions: engine.run() returns by the limit (measured by the host), with kind cpu / timeout,
 * and no process with the marker is left on the host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import { hostPidsWithMarker, LANGS, newEngine, run, token, watchMarkerDuring, type Lang } from './support.js';

const BUSY: Record<Lang, string> = {
  python: 'print("LOOP-START", flush=True)\nwhile True:\n    pass\n',
  javascript: "console.log('LOOP-START');\nfor (;;) {}\n",
  bash: 'echo LOOP-START\nwhile :; do :; done\n',
};

const HANG: Record<Lang, string> = {
  python: `
import signal, time
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
print("HANG-START", flush=True)
while True:
    time.sleep(60)
`,
  javascript: `
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => {});
console.log('HANG-START');
setInterval(() => {}, 60000);
`,
  bash: `
trap '' TERM INT HUP
echo HANG-START
while :; do sleep 60; done
`,
};

/** stdin: a marker; a helper process carrying it sleeps while the main process spins. */
const BUSY_WITH_HELPER: Record<Lang, string> = {
  python: `
import subprocess, sys
subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(300)", sys.stdin.read().strip()], start_new_session=True)
print("LOOP-START", flush=True)
while True:
    pass
`,
  javascript: `
const { spawn } = require('child_process');
const marker = require('fs').readFileSync(0, 'utf8').trim();
spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { detached: true, stdio: 'ignore' }).unref();
console.log('LOOP-START');
for (;;) {}
`,
  bash: `
read -r marker
setsid bash -c 'sleep 300; :' "$marker" </dev/null >/dev/null 2>&1 &
echo LOOP-START
while :; do :; done
`,
};

let engine: Engine;

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
});

describe.each(LANGS)('infinite loops and hangs (%s)', (lang) => {
  it('a busy loop is killed at the CPU limit (kind cpu)', async () => {
    const result = await run(engine, {
      language: lang,
      source: BUSY[lang],
      limits: { cpuMs: 800, timeoutMs: 6_000 },
    });
    expect(result.stdout).toContain('LOOP-START');
    expect(result.ok).toBe(false);
    expect(result.error?.kind).toBe('cpu');
    expect(result.hostWallMs).toBeLessThan(5_500);
    expect(result.usage.cpuMs).toBeGreaterThanOrEqual(800);
  });

  it('a sleep that ignores SIGTERM/SIGINT/SIGHUP is killed at the wall-clock limit (kind timeout)', async () => {
    const result = await run(engine, { language: lang, source: HANG[lang], limits: { timeoutMs: 1_000 } });
    expect(result.stdout).toContain('HANG-START');
    expect(result.ok).toBe(false);
    expect(result.error?.kind).toBe('timeout');
    expect(result.hostWallMs).toBeGreaterThanOrEqual(1_000);
    expect(result.hostWallMs).toBeLessThan(3_000);
  });

  it('the whole process tree is killed with the loop: no helper process is left on the host', async () => {
    const marker = token('LOOPHELPER-');
    const { result, seen } = await watchMarkerDuring(
      marker,
      run(engine, {
        language: lang,
        source: BUSY_WITH_HELPER[lang],
        stdin: `${marker}\n`,
        limits: { cpuMs: 1_000, timeoutMs: 1_500 },
      }),
    );
    expect(result.stdout).toContain('LOOP-START');
    expect(['cpu', 'timeout']).toContain(result.error?.kind);
    expect(result.hostWallMs).toBeLessThan(3_000);
    expect(seen).toBeGreaterThan(0); // control: the host did see the helper while the run was alive
    expect(hostPidsWithMarker(marker)).toEqual([]);
  });
});

describe('CPU summed over processes (python)', () => {
  it('two busy processes are killed once their total CPU passes the limit', async () => {
    const result = await run(engine, {
      language: 'python',
      source: `
import os
os.fork()
print("LOOP-START", flush=True)
while True:
    pass
`,
      limits: { cpuMs: 1_000, timeoutMs: 6_000 },
    });
    expect(result.stdout).toContain('LOOP-START');
    expect(result.error?.kind).toBe('cpu');
    expect(result.hostWallMs).toBeLessThan(5_500);
  });
});
