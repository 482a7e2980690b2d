/**
 * Attack class: per-uid kernel state shared between tenants. The kernel keeps some state per host uid,
 * not per namespace: inotify instances (fs.inotify.max_user_instances), keyring quotas, RLIMIT_NPROC. If
 * every sandbox ran as one host uid, one script could starve the others (or see their keys). Each live
 * sandbox runs as a host uid of its own (src/sandbox/uid-pool.ts), from SCRIPTBOX_SANDBOX_UIDS.
 * Host-side assertions: the host uids and gids of concurrent sandboxes' processes (/proc/<pid>/status),
 * uids handed out again only when nothing of their previous sandbox is left, a host "leftover" process
 * keeping its uid out of use. In-sandbox effects (inotify starvation, keys) come with positive controls:
 * the starving script did reach the limit, and the same pair of scripts sharing one uid does starve.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type RunResult } from '../../src/index.js';
import {
  hostPidsWithMarker,
  SANDBOX_UIDS,
  SMALL_LIMITS,
  sleep,
  stopVictim,
  token,
  type RunInput,
} from './support.js';

const IS_ROOT = process.getuid?.() === 0;
/** Uids only this file's engines use: outside the default range (and VICTIM_UID), so no other engine does. */
const OWN_UIDS = { first: 2_000_100_010, last: 2_000_100_019 };
const HOLD_LIMITS = { ...SMALL_LIMITS, timeoutMs: 15_000, cpuMs: 15_000 };

let engine: Engine;

beforeAll(async () => {
  engine = await createEngine({ limits: HOLD_LIMITS, pool: { size: 0 } });
});

afterAll(async () => {
  await engine?.close();
});

interface HostIds {
  pid: number;
  uid: number;
  gid: number;
}

/** The host uid and gid (real ones; the others must agree) of the host process with `marker`. */
async function hostIdsOf(marker: string): Promise<HostIds> {
  for (let i = 0; i < 500; i++) {
    const [pid] = hostPidsWithMarker(marker);
    if (pid !== undefined) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        const uids = /^Uid:\t(.*)$/m.exec(status)?.[1]?.split('\t').map(Number) ?? [];
        const gids = /^Gid:\t(.*)$/m.exec(status)?.[1]?.split('\t').map(Number) ?? [];
        expect(new Set(uids).size, status).toBe(1);
        expect(new Set(gids).size, status).toBe(1);
        return { pid, uid: uids[0] ?? -1, gid: gids[0] ?? -1 };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    await sleep(10);
  }
  throw new Error(`no host process with ${marker}`);
}

/** Python that leaves a process with `marker` in its argv running for `seconds` (found host-side). */
const markedSleeper = (marker: string, seconds: number): string =>
  `subprocess.Popen(["/usr/bin/python3", "-c", "import time; time.sleep(${seconds})", ${JSON.stringify(marker)}])`;

/** A run, and a promise resolved once its stdout holds `line` (streamed while it runs). */
function runUntil(
  target: Engine,
  opts: RunInput,
  line: string,
): { done: Promise<RunResult>; reached: Promise<string> } {
  let stdout = '';
  let reach: (text: string) => void = () => undefined;
  const reached = new Promise<string>((resolve) => {
    reach = resolve;
  });
  const done = target.run({
    ...opts,
    limits: { ...HOLD_LIMITS, ...opts.limits },
    onStdout: (text) => {
      stdout += text;
      if (stdout.includes(line)) reach(stdout);
    },
  });
  done.then(
    (result) => reach(result.stdout),
    () => reach(''),
  );
  return { done, reached };
}

const inRange = (uid: number, range: { first: number; last: number } | null): boolean =>
  range !== null && uid >= range.first && uid <= range.last;

describe('one host uid per live sandbox', () => {
  it('two concurrent sandboxes run as two distinct host uids of the range (gid the same)', async () => {
    const markers = [token('UID-A-'), token('UID-B-')];
    const runs = markers.map((marker) =>
      engine.run({
        language: 'python',
        source: `import subprocess, time\n${markedSleeper(marker, 3)}.wait()\nprint("HELD")`,
        limits: HOLD_LIMITS,
      }),
    );
    const ids = await Promise.all(markers.map((marker) => hostIdsOf(marker)));
    const results = await Promise.all(runs);
    for (const result of results) expect(result.stdout, result.stderr).toContain('HELD');
    const [a, b] = ids as [HostIds, HostIds];
    if (!IS_ROOT) {
      // Without root there is no pool: both run as the caller (doctor warns about it).
      expect([a.uid, b.uid]).toEqual([process.getuid?.(), process.getuid?.()]);
      return;
    }
    expect(a.uid).not.toBe(b.uid);
    for (const id of [a, b]) {
      expect(inRange(id.uid, SANDBOX_UIDS), `${id.uid} in ${JSON.stringify(SANDBOX_UIDS)}`).toBe(true);
      expect(id.gid).toBe(id.uid);
    }
  });

  it('inotify: one sandbox holding every inotify instance its uid may have does not starve another', async () => {
    const maxInstances = Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8'));
    const hog = `
import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
fds, err = [], 0
while len(fds) < 100000:
    fd = libc.inotify_init1(0)
    if fd < 0:
        err = ctypes.get_errno()
        break
    fds.append(fd)
print("INOTIFY-HELD", len(fds), err, flush=True)
time.sleep(4)
print("INOTIFY-DONE", len(fds))
`;
    const other = `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
print("INOTIFY-OTHER", fd, ctypes.get_errno())
`;
    /** The hog holds its instances while `other` runs in a second sandbox of `target`. */
    const starve = async (target: Engine): Promise<{ held: string; hog: RunResult; other: RunResult }> => {
      const hogRun = runUntil(target, { language: 'python', source: hog }, 'INOTIFY-HELD');
      const held = await hogRun.reached;
      const otherResult = await target.run({ language: 'python', source: other, limits: HOLD_LIMITS });
      return { held, hog: await hogRun.done, other: otherResult };
    };

    const separate = await starve(engine);
    // Positive control: the hog did reach a limit, the per-uid one (EMFILE once its uid had them all).
    const [, count, errno] = /INOTIFY-HELD (\d+) (\d+)/.exec(separate.held) ?? [];
    expect(separate.hog.stdout, separate.hog.stderr).toContain('INOTIFY-DONE');
    expect(Number(errno)).toBe(24); // EMFILE
    expect(Number(count)).toBe(maxInstances);
    // The other sandbox still gets an instance.
    expect(separate.other.stdout, separate.other.stderr).toMatch(/^INOTIFY-OTHER \d+ /m);
    expect(separate.other.stdout).not.toMatch(/^INOTIFY-OTHER -1 /m);

    if (!IS_ROOT) return;
    // Control: the same two scripts in sandboxes that share one host uid do starve.
    const sharing = await createEngine({
      limits: HOLD_LIMITS,
      pool: { size: 0 },
      sandbox: { uids: { first: OWN_UIDS.first, last: OWN_UIDS.first } },
    });
    try {
      const shared = await starve(sharing);
      expect(shared.held).toMatch(/INOTIFY-HELD \d+ 24/);
      expect(shared.other.stdout, shared.other.stderr).toMatch(/^INOTIFY-OTHER -1 24$/m);
    } finally {
      await sharing.close();
    }
  }, 60_000);

  it('keyrings: a key one sandbox adds is not found by another, which still has its own quota', async () => {
    const description = token('scriptbox-key-');
    const markers = [token('KEY-A-'), token('KEY-B-')];
    // add_key/keyctl straight through syscall(2): no libkeyutils needed. The seccomp filter may refuse
    // them (EPERM): then the attempt itself is what the positive control sees.
    const keys = `
import ctypes, os, subprocess, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL, KEYCTL_SEARCH, USER_KEYRING = 248, 250, 10, -4
def add(desc, payload):
    r = libc.syscall(ctypes.c_long(ADD_KEY), b"user", desc, payload, ctypes.c_long(len(payload)), ctypes.c_long(USER_KEYRING))
    return r, ctypes.get_errno()
def search(desc):
    r = libc.syscall(ctypes.c_long(KEYCTL), ctypes.c_long(KEYCTL_SEARCH), ctypes.c_long(USER_KEYRING), b"user", desc, ctypes.c_long(0))
    return r, ctypes.get_errno()
`;
    const owner = `${keys}
${markedSleeper(markers[0] ?? '', 5)}
r, err = add(${JSON.stringify(description)}.encode(), b"secret-payload")
count = 1 if r >= 0 else 0
while r >= 0 and count < 1000:
    r, err = add(("%s-%d" % (${JSON.stringify(description)}, count)).encode(), b"x" * 64)
    count += 1
print("ADDKEY-FIRST", "ok" if count > 0 else "fail", "COUNT", count, "ERRNO", err, flush=True)
print("SEARCH-OWN", *search(${JSON.stringify(description)}.encode()), flush=True)
time.sleep(3)
`;
    const stranger = `${keys}
${markedSleeper(markers[1] ?? '', 3)}
print("SEARCH-OTHER", *search(${JSON.stringify(description)}.encode()))
print("ADDKEY-OTHER", *add(b"mine", b"y"))
time.sleep(0.5)
`;
    const ownerRun = runUntil(engine, { language: 'python', source: owner }, 'SEARCH-OWN');
    const ownerIds = hostIdsOf(markers[0] ?? '');
    const ownerSaid = await ownerRun.reached;
    const strangerRun = engine.run({ language: 'python', source: stranger, limits: HOLD_LIMITS });
    const strangerIds = hostIdsOf(markers[1] ?? '');
    const strangerResult = await strangerRun;
    const ownerResult = await ownerRun.done;
    const [a, b] = await Promise.all([ownerIds, strangerIds]);

    // Positive control: the owner's add_key attempt ran (and, unless seccomp refused it, filled its quota).
    const added = /ADDKEY-FIRST (ok|fail) COUNT (\d+) ERRNO (\d+)/.exec(ownerSaid);
    expect(added, ownerResult.stdout + ownerResult.stderr).not.toBeNull();
    const ownerAdded = added?.[1] === 'ok';
    if (!ownerAdded)
      expect(Number(added?.[3])).toBe(1); // EPERM from the seccomp filter
    else expect(ownerSaid).toMatch(/^SEARCH-OWN \d+ /m); // it finds its own key

    // The stranger never finds it: "not found" (ENOKEY 126) or refused (EPERM 1, EACCES 13).
    const search = /^SEARCH-OTHER (-?\d+) (\d+)$/m.exec(strangerResult.stdout);
    expect(search, strangerResult.stdout + strangerResult.stderr).not.toBeNull();
    expect(Number(search?.[1])).toBe(-1);
    expect([126, 1, 13]).toContain(Number(search?.[2]));
    // And its own quota is untouched by the owner's keys (unless seccomp refuses keys altogether).
    const own = /^ADDKEY-OTHER (-?\d+) (\d+)$/m.exec(strangerResult.stdout);
    expect(own).not.toBeNull();
    if (Number(own?.[1]) < 0) expect(Number(own?.[2])).toBe(1);
    else expect(ownerAdded).toBe(true);
    expect(strangerResult.stdout + strangerResult.stderr).not.toContain('secret-payload');

    // Host side: the two, alive at once, never shared a uid.
    if (IS_ROOT) expect(a.uid).not.toBe(b.uid);
  }, 60_000);
});

describe('uids come back only when nothing of their sandbox is left', () => {
  /** The host uid each of `n` sequential runs of `target` had. */
  async function uidsOfRuns(target: Engine, n: number): Promise<number[]> {
    const uids: number[] = [];
    for (let i = 0; i < n; i++) {
      const marker = token('RECYCLE-');
      const running = target.run({
        language: 'python',
        source: `import subprocess\n${markedSleeper(marker, 0.5)}.wait()\nprint("RAN")`,
        limits: HOLD_LIMITS,
        signal: AbortSignal.timeout(10_000),
      });
      const ids = await hostIdsOf(marker);
      const result = await running;
      expect(result.stdout, JSON.stringify(result.error)).toContain('RAN');
      uids.push(ids.uid);
    }
    return uids;
  }

  it.runIf(IS_ROOT)('a small range is recycled after each sandbox is destroyed', async () => {
    const first = OWN_UIDS.first + 1;
    const small = await createEngine({
      limits: HOLD_LIMITS,
      pool: { size: 0 },
      sandbox: { uids: { first, last: first + 1 } },
    });
    try {
      // Four runs on two uids: each is handed out again once its sandbox is gone. (Which one comes
      // back first depends on when the host's process scans finish; test/unit/uid-pool.test.ts pins
      // the least-recently-used order with scripted scans.)
      const uids = await uidsOfRuns(small, 4);
      expect(uids.slice(0, 2)).toEqual([first, first + 1]);
      expect(uids.every((uid) => uid === first || uid === first + 1)).toBe(true);
    } finally {
      await small.close();
    }
  });

  it.runIf(IS_ROOT)('a host process of a uid keeps that uid out of use until it is gone', async () => {
    const first = OWN_UIDS.first + 3;
    let leftover: ChildProcess | undefined = spawn(
      '/usr/bin/python3',
      ['-c', 'import time\nwhile True: time.sleep(1)', token('LEFTOVER-')],
      { stdio: 'ignore', env: {}, uid: first, gid: first },
    );
    const target = await createEngine({
      limits: HOLD_LIMITS,
      pool: { size: 0 },
      sandbox: { uids: { first, last: first + 1 } },
    });
    try {
      // Control: the leftover is a live host process of that uid.
      const status = fs.readFileSync(`/proc/${leftover.pid ?? 0}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\t${first}\\t`, 'm'));
      expect(await uidsOfRuns(target, 2)).toEqual([first + 1, first + 1]);
      await stopVictim(leftover);
      leftover = undefined;
      expect(await uidsOfRuns(target, 1)).toEqual([first]);
    } finally {
      await stopVictim(leftover);
      await target.close();
    }
  });
});
