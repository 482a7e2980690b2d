/**
 * Attack class: host environment secrets. A secret is put in the host process's environment before the
 * engine is created, and in the environment of a host process owned by the sandbox's host uid (so
 * /proc/<pid>/environ permissions would let it through). The script dumps its environment, /proc/self/environ,
 * /proc/1/environ, every visible /proc/<pid>/environ and those of the host pids it was told.
 * Host-side assertion: neither the secret value nor its variable name comes back.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import { LANGS, newEngine, run, spawnVictim, stopVictim, token, VICTIM_UID, type Lang } from './support.js';

const VAR = 'SCRIPTBOX_TEST_SECRET';
const secret = token('ENV-SECRET-');
const victimSecret = token('VICTIM-ENV-SECRET-');
let engine: Engine;
let victim: ChildProcess;
let previous: string | undefined;

/** Dumps every environment it can reach; `pids` are host pids given on stdin. */
const DUMPERS: Record<Lang, string> = {
  python: `
import os, sys
pids = sys.stdin.read().split()
print("ENV", dict(os.environ))
for pid in sorted(set([p for p in os.listdir("/proc") if p.isdigit()] + ["self", "thread-self"] + pids)):
    try:
        with open("/proc/%s/environ" % pid, "rb") as f:
            print("ENVIRON", pid, f.read().replace(b"\\0", b" ").decode("latin1"))
    except Exception:
        pass
print("DUMP-DONE")
`,
  javascript: `
const fs = require('fs');
const pids = fs.readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);
console.log('ENV', JSON.stringify(process.env));
const all = new Set([...fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)), 'self', 'thread-self', ...pids]);
for (const pid of all) {
  try { console.log('ENVIRON', pid, fs.readFileSync('/proc/' + pid + '/environ', 'latin1').replace(/\\0/g, ' ')); } catch {}
}
console.log('DUMP-DONE');
`,
  bash: `
read -r -a pids
echo ENV; env; declare -p; set
for f in /proc/*/environ /proc/self/environ $(for p in "\${pids[@]}"; do echo /proc/$p/environ; done); do
  [[ -r $f ]] && { echo "ENVIRON $f"; tr '\\0' ' ' < "$f"; echo; }
done 2>/dev/null
ps eww -A 2>/dev/null
echo DUMP-DONE
`,
};

beforeAll(async () => {
  previous = process.env[VAR];
  process.env[VAR] = secret;
  engine = await newEngine({ sameUidAsVictims: true });
  victim = await spawnVictim(token('VICTIM-'), { [VAR]: victimSecret });
});

afterAll(async () => {
  await engine?.close();
  await stopVictim(victim);
  if (previous === undefined) delete process.env[VAR];
  else process.env[VAR] = previous;
});

describe.each(LANGS)('environment secrets (%s)', (lang) => {
  it('cannot see host environment variables (own env, /proc/self/environ, /proc/1/environ, host pids)', async () => {
    expect(process.env[VAR]).toBe(secret);
    // Control: the victim's environ really holds its secret and the sandbox's host uid may read it.
    const control = spawnSync('/bin/cat', [`/proc/${victim.pid}/environ`], {
      ...(process.getuid?.() === 0 ? { uid: VICTIM_UID, gid: VICTIM_UID } : {}),
      encoding: 'latin1',
    });
    expect(control.stdout).toContain(victimSecret);

    const hostPids = [process.pid, process.ppid, victim.pid ?? 0, 1].join(' ');
    const result = await run(engine, { language: lang, source: DUMPERS[lang], stdin: `${hostPids}\n` });
    expect(result.stdout, result.stderr).toContain('DUMP-DONE');
    const everything = result.stdout + result.stderr;
    expect(everything).toContain('ENV'); // it did dump something
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(victimSecret);
    expect(everything).not.toContain(VAR);
    // Nothing else of the host environment either (the host's PATH is long and distinctive).
    expect(process.env['PATH']?.length ?? 0).toBeGreaterThan(20);
    expect(everything).not.toContain(process.env['PATH']);
  });
});
