/**
 * Attack class: seeing or signalling host processes. A host "victim" process runs as the sandbox's own
 * host uid (so only the pid namespace protects it, not permissions), with a unique marker in its argv.
 * The script lists /proc, reads /proc/<pid>/cmdline of the host pids it was told, and signals them with
 * kill(pid), kill(-1) and killpg.
 * Host-side assertions: the script never saw the victim or the test process; the victim is still alive.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import {
  hostPidsWithMarker,
  isAlive,
  LANGS,
  newEngine,
  run,
  sleep,
  spawnVictim,
  stopVictim,
  token,
  type Lang,
} from './support.js';

/** Prints every visible pid and its cmdline, and the cmdline of each host pid given on stdin. */
const LISTERS: Record<Lang, string> = {
  python: `
import os, sys
targets = sys.stdin.read().split()
for pid in sorted(set([p for p in os.listdir("/proc") if p.isdigit()] + targets), key=int):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            print("PID", pid, f.read().replace(b"\\0", b" ").decode("latin1"))
    except Exception:
        pass
print("LIST-DONE")
`,
  javascript: `
const fs = require('fs');
const targets = fs.readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);
const pids = new Set([...fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)), ...targets]);
for (const pid of pids) {
  try { console.log('PID', pid, fs.readFileSync('/proc/' + pid + '/cmdline', 'latin1').replace(/\\0/g, ' ')); } catch {}
}
console.log('LIST-DONE');
`,
  bash: `
read -r -a targets
for d in /proc/[0-9]* "\${targets[@]/#//proc/}"; do
  [[ -r $d/cmdline ]] && echo "PID \${d#/proc/} $(tr '\\0' ' ' < "$d/cmdline")"
done 2>/dev/null
ps -eo pid,args 2>/dev/null | sed 's/^/PS /'
echo LIST-DONE
`,
};

/** Signals every host pid given on stdin with SIGKILL, then kill(-1) and killpg of each. */
const KILLERS: Record<Lang, string> = {
  python: `
import os, signal, sys
for pid in [int(p) for p in sys.stdin.read().split()]:
    for fn in (lambda: os.kill(pid, signal.SIGKILL), lambda: os.killpg(pid, signal.SIGKILL)):
        try:
            fn(); print("SIGNALLED", pid)
        except Exception:
            pass
try:
    os.kill(-1, signal.SIGKILL)
except Exception:
    pass
print("KILL-DONE")
`,
  javascript: `
const targets = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);
for (const pid of targets) {
  for (const p of [pid, -pid]) {
    try { process.kill(p, 'SIGKILL'); console.log('SIGNALLED', p); } catch {}
  }
}
try { process.kill(-1, 'SIGKILL'); } catch {}
console.log('KILL-DONE');
`,
  bash: `
read -r -a targets
for pid in "\${targets[@]}"; do
  kill -KILL "$pid" 2>/dev/null && echo "SIGNALLED $pid"
  kill -KILL -- "-$pid" 2>/dev/null && echo "SIGNALLED -$pid"
done
kill -KILL -1 2>/dev/null
echo KILL-DONE
`,
};

let engine: Engine;
let victim: ChildProcess | undefined;
let marker = '';

beforeAll(async () => {
  engine = await newEngine({ sameUidAsVictims: true });
});

afterEach(async () => {
  await stopVictim(victim);
  victim = undefined;
});

afterAll(async () => {
  await engine?.close();
});

async function freshVictim(): Promise<ChildProcess> {
  marker = token('VICTIM-');
  victim = await spawnVictim(marker);
  expect(hostPidsWithMarker(marker)).toEqual([victim.pid]);
  return victim;
}

describe.each(LANGS)('host processes (%s)', (lang) => {
  it('sees only its own processes in /proc (not the test process, not a host process of its own uid)', async () => {
    const target = await freshVictim();
    const stdin = `${process.pid} ${process.ppid} ${target.pid} 1\n`;
    const result = await run(engine, { language: lang, source: LISTERS[lang], stdin });
    expect(result.stdout, result.stderr).toContain('LIST-DONE');
    expect(result.stdout).not.toContain(marker);
    expect(result.stdout).not.toMatch(/vitest|node_modules|\/work\/main\//);
    const pids = [...result.stdout.matchAll(/^PID (\d+) /gm)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThan(0); // it did list its own processes
    expect(pids).not.toContain(process.pid);
    expect(pids).not.toContain(target.pid);
    // A fresh pid namespace: the sandbox's processes have tiny pids.
    for (const pid of pids) expect(pid).toBeLessThan(100);
  });

  it('cannot signal host processes: kill(victim), killpg, kill(-1)', async () => {
    const target = await freshVictim();
    const result = await run(engine, {
      language: lang,
      source: KILLERS[lang],
      stdin: `${target.pid} ${process.pid}\n`,
    });
    expect(result.stdout, result.stderr).toContain('KILL-DONE');
    await sleep(200);
    expect(isAlive(target)).toBe(true);
    expect(hostPidsWithMarker(marker)).toEqual([target.pid]);
    expect(result.stdout).not.toContain(`SIGNALLED ${target.pid}`);
  });
});
