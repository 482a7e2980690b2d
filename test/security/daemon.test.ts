/**
 * Attack class: a daemonized process outliving the run. The script double-forks / setsid()s / detaches a
 * child that ignores SIGHUP/SIGTERM/SIGINT, carries a unique marker in its argv, and after a delay writes
 * a marker file into out/ and into a world-writable host directory, then keeps running.
 * Host-side assertions: while the run is alive the host does see the marker process (control); once
 * engine.run() has returned no host process has the marker, even after the daemon's wake-up time; the
 * host file was never written; out/ brought nothing back late.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import {
  hostPidsWithMarker,
  hostTempDir,
  LANGS,
  newEngine,
  readTree,
  run,
  sleep,
  token,
  watchMarkerDuring,
  type Lang,
} from './support.js';

/** The daemon wakes up after this long; the parent exits long before. */
const WAKE_MS = 1_200;

/** stdin: `<marker> <host file>`. */
const DAEMONIZERS: Record<Lang, string> = {
  python: `
import os, sys, time
marker, hostfile = sys.stdin.read().split()
daemon = """
import os, signal, sys, time
for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
    signal.signal(s, signal.SIG_IGN)
time.sleep(${WAKE_MS / 1000})
for p in ("/work/out/late.txt", sys.argv[2]):
    try:
        with open(p, "w") as f:
            f.write("LATE")
    except Exception:
        pass
time.sleep(30)
"""
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        fd = os.open("/dev/null", os.O_RDWR)
        for i in range(3):
            os.dup2(fd, i)
        os.execv("/usr/bin/python3", ["python3", "-c", daemon, marker, hostfile])
    os._exit(0)
os.wait()
print("DAEMON-STARTED", flush=True)
time.sleep(0.5)
`,
  javascript: `
const { spawn } = require('child_process');
const [marker, hostfile] = require('fs').readFileSync(0, 'utf8').split(/\\s+/);
const daemon = \`
for (const s of ['SIGHUP', 'SIGTERM', 'SIGINT']) process.on(s, () => {});
setTimeout(() => {
  for (const p of ['/work/out/late.txt', process.argv[1]]) {
    try { require('fs').writeFileSync(p, 'LATE'); } catch {}
  }
}, ${WAKE_MS});
setInterval(() => {}, 30000);
\`;
spawn('/usr/bin/node', ['-e', daemon, hostfile, marker], { detached: true, stdio: 'ignore' }).unref();
console.log('DAEMON-STARTED');
setTimeout(() => process.exit(0), 500);
`,
  bash: `
read -r marker hostfile
setsid bash -c 'trap "" HUP TERM INT; sleep ${WAKE_MS / 1000}; echo LATE > /work/out/late.txt; echo LATE > "$1"; sleep 30' "$marker" "$hostfile" </dev/null >/dev/null 2>&1 &
disown
( nohup bash -c 'trap "" HUP TERM INT; sleep 30' "$marker" </dev/null >/dev/null 2>&1 & )
echo DAEMON-STARTED
sleep 0.5
`,
};

let engine: Engine;
let hostDir = '';
const cleanup: string[] = [];

beforeAll(async () => {
  engine = await newEngine();
  hostDir = hostTempDir('scriptbox-daemon-', os.tmpdir(), 0o777);
  cleanup.push(hostDir);
});

afterAll(async () => {
  await engine?.close();
  for (const p of cleanup) fs.rmSync(p, { recursive: true, force: true });
});

describe.each(LANGS)('daemonized process (%s)', (lang) => {
  it('does not outlive the run (double fork, setsid, ignored SIGHUP/SIGTERM) nor write late', async () => {
    const marker = token('DAEMON-');
    const hostFile = path.join(hostDir, `${marker}.txt`);
    const outDir = hostTempDir('scriptbox-daemon-out-');
    cleanup.push(outDir);
    const { result, seen } = await watchMarkerDuring(
      marker,
      run(engine, {
        language: lang,
        source: DAEMONIZERS[lang],
        stdin: `${marker} ${hostFile}\n`,
        outDir,
        limits: { timeoutMs: 5_000 },
      }),
    );
    expect(result.stdout, result.stderr).toContain('DAEMON-STARTED');
    // Control: the host's /proc scan does see the daemon while the run is alive.
    expect(seen).toBeGreaterThan(0);
    // The run ended when the script exited: the daemon did not keep it alive until the timeout.
    expect(result.error).toBeNull();
    expect(result.hostWallMs).toBeLessThan(4_000);
    expect(hostPidsWithMarker(marker)).toEqual([]);
    await sleep(WAKE_MS + 800);
    expect(hostPidsWithMarker(marker)).toEqual([]);
    expect(fs.existsSync(hostFile)).toBe(false);
    expect(fs.readdirSync(hostDir)).toEqual([]);
    expect(readTree(outDir).map((e) => e.rel)).not.toContain('late.txt');
  });
});
