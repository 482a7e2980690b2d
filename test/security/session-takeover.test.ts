/**
 * Session takeover: a run attacks the resident supervisor that forks it and the runs after it. Each
 * attack reports what it reached (positive controls: the attack code ran and its probes work on targets
 * it may touch), and a later run checks, through the host's own result, that nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, RunResult, Session } from '../../src/index.js';
import { newEngine, token } from './support.js';

let engine: Engine;
beforeAll(async () => {
  engine = await newEngine();
});
afterAll(async () => {
  await engine.close();
});

/** These attacks are on fresh-per-run sessions; a stateful session's: session-state-integrity.test.ts. */
async function withSession<T>(language: string, body: (session: Session) => Promise<T>): Promise<T> {
  const session = await engine.createSession({
    language,
    state: 'fresh',
    limits: { timeoutMs: 5_000, cpuMs: 5_000 },
  });
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

/** The session still answers honestly: a fresh computation comes back right, with the right status. */
async function expectHonest(session: Session, language: string): Promise<void> {
  const source =
    language === 'python'
      ? 'print(6 * 7, sum([1, 2, 3]))'
      : 'console.log(6 * 7, [1, 2, 3].reduce((a, b) => a + b))';
  const result = await session.run({ source });
  expect(result.ok).toBe(true);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toBe('42 6\n');
}

function report(result: RunResult): Record<string, unknown> {
  const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no report in ${JSON.stringify(result.stdout + result.stderr)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Python probes against every process the run can see, and against the process that forked it. */
const PROBE_PY = String.raw`
import ctypes, json, os, signal
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_open, SYS_pidfd_getfd, SYS_ptrace, SYS_process_vm_readv = 434, 438, 101, 310
me = os.getpid()
visible = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out = {"me": me, "ppid": os.getppid(), "visible": visible, "signalled": [], "mem_opened": [], "fds_stolen": 0}
# the parent by every name it might have (a run's own parent, when it has one here, is spared: it is
# the run itself, e.g. node running this probe)
spared = (0, me, os.getppid())
targets = [p for p in set(visible + [os.getppid(), 1, 2]) if p not in (0, me)]
for pid in targets:
    for sig in (signal.SIGSTOP, signal.SIGTERM) if pid not in spared else ():
        try:
            os.kill(pid, sig)
            out["signalled"].append(pid)
        except OSError:
            pass
    for mode in ("r+b", "rb"):
        try:
            open("/proc/%d/mem" % pid, mode).close()
            out["mem_opened"].append(pid)
        except OSError:
            pass
    pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
    if pidfd >= 0:
        for fd in range(64):
            if libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0) >= 0:
                out["fds_stolen"] += 1
    out.setdefault("ptrace", []).append(libc.syscall(SYS_ptrace, 16, pid, 0, 0))  # PTRACE_ATTACH
if os.getppid() == 0:
    try:
        os.kill(-1, signal.SIGSTOP)
        out["kill_all"] = "sent"
    except OSError as err:
        out["kill_all"] = err.strerror
# positive controls: the same probes work on targets the run may touch
own = libc.syscall(SYS_pidfd_open, me, 0)
out["control_pidfd_open_self"] = own >= 0
out["control_mem_self"] = bool(open("/proc/self/mem", "rb"))
print(json.dumps(out), flush=True)
`;

describe('session takeover', () => {
  it('python: a run cannot see, signal, ptrace, read or write the memory, or steal the fds of the supervisor', async () => {
    await withSession('python', async (session) => {
      const result = await session.run({ source: PROBE_PY });
      const found = report(result);
      // Its own pid namespace: only the placeholder init (pid 1) and itself; no parent in sight.
      expect(found['visible']).toEqual([1, found['me']]);
      expect(found['ppid']).toBe(0);
      expect(found['fds_stolen']).toBe(0);
      // Not even the namespace's own init (not dumpable) lets its memory be opened.
      expect(found['mem_opened']).toEqual([]);
      expect(found['control_pidfd_open_self']).toBe(true);
      expect(found['control_mem_self']).toBe(true);
      // What it could signal is the namespace's own init, which holds nothing; the supervisor survives.
      expect((found['signalled'] as number[]).every((pid) => pid === 1)).toBe(true);
      expect(found['ptrace']).toEqual((found['ptrace'] as number[]).map(() => -1));
      await expectHonest(session, 'python');
    });
  });

  it('python: a run that ends "early" while it keeps running is not over until all of it is gone', async () => {
    await withSession('python', async (session) => {
      const late = token('LATE');
      const result = await session.run({
        source: `import os, sys, time
if os.fork() == 0:
    os.setsid()
    time.sleep(0.5)
    print(${JSON.stringify(late)}, flush=True)
    os._exit(0)
print("parent done", flush=True)
`,
      });
      expect(result.stdout).toBe('parent done\n');
      const next = await session.run({ source: 'import time\ntime.sleep(1)\nprint("next")' });
      expect(next.stdout).toBe('next\n');
      expect(next.stdout + next.stderr).not.toContain(late);
      await expectHonest(session, 'python');
    });
  });

  it('python: patching interpreter memory or builtins does not reach later runs', async () => {
    await withSession('python', async (session) => {
      const attack = await session.run({
        source: `import builtins, ctypes, sys
builtins.sum = lambda *a: 7
sys.modules["math"] = None
# write into the (shared-looking) small-int cache of this interpreter: only this copy changes
ctypes.c_long.from_address(id(6) + 24).value = 7
print("patched", sum([1, 2, 3]))
`,
      });
      expect(attack.stdout).toBe('patched 7\n');
      await expectHonest(session, 'python');
      const math = await session.run({ source: 'import math\nprint(math.floor(2.5))' });
      expect(math.stdout).toBe('2\n');
    });
  });

  it('python: a module left in the work dir never shadows the standard library or a preloaded package', async () => {
    await withSession('python', async (session) => {
      const planted = await session.run({
        source: `for name in ("statistics", "json", "os", "random"):
    open(name + ".py", "w").write("raise SystemExit('shadowed ' + __name__)\\n")
open("helper.py", "w").write("VALUE = 41\\n")
print("planted")
`,
      });
      expect(planted.stdout).toBe('planted\n');
      const later = await session.run({
        source: `import statistics, json, random, os, sys
import helper  # the work dir is still on the path, last
print(statistics.mean([1, 2, 3]), json.dumps([1]), helper.VALUE + 1, sys.path[-1] == os.getcwd())
`,
      });
      expect(later.stderr).toBe('');
      expect(later.stdout).toBe('2 [1] 42 True\n');
    });
  });

  it('javascript: a child process attacking its grandparent reaches nothing and forges nothing', async () => {
    await withSession('javascript', async (session) => {
      const result = await session.run({
        source: `const { execFileSync } = require('node:child_process');
const out = execFileSync('/usr/bin/python3', ['-c', ${JSON.stringify(PROBE_PY)}], { encoding: 'utf8' });
process.stdout.write(out);
`,
      });
      const found = report(result);
      expect(found['visible']).toHaveLength(3); // the init, node, and python
      expect(found['fds_stolen']).toBe(0);
      expect(found['control_pidfd_open_self']).toBe(true);
      expect(
        (found['signalled'] as number[]).every((pid) => (found['visible'] as number[]).includes(pid)),
      ).toBe(true);
      await expectHonest(session, 'javascript');
    });
  });
});

describe('forged results', () => {
  it.each(['python', 'javascript'])(
    '%s: protocol-looking output, fake end tokens and writes to every fd change nothing',
    async (language) => {
      await withSession(language, async (session) => {
        const fake = 'a'.repeat(32);
        const lines = [
          `\n${fake}\n`,
          '{"event": "exit", "id": 1, "code": 0, "signal": null, "token": "' + fake + '"}\n',
          'ready\nok\n',
          '17\n{"op": "kill"}\n',
        ];
        const payload = lines.join('');
        const source =
          language === 'python'
            ? `import os, sys
payload = ${JSON.stringify(payload)}.encode()
written = []
for fd in range(3, 1024):
    try:
        os.write(fd, payload)
        written.append(fd)
    except OSError:
        pass
sys.stdout.write(${JSON.stringify(payload)})
sys.stderr.write(${JSON.stringify(payload)})
sys.stdout.write("fds:%s\\n" % written)
sys.exit(3)
`
            : // node's own fds above 2 are its event loop's; a child it starts holds what a run can pass on.
              `const { execFileSync } = require('node:child_process');
const payload = ${JSON.stringify(payload)};
const loop = 'for fd in $(ls /proc/self/fd); do [ "$fd" -gt 2 ] && printf %s "$P" >&$fd; done 2>/dev/null; echo';
const written = execFileSync('/bin/bash', ['-c', loop], { env: { P: payload }, stdio: ['ignore', 'pipe', 'inherit'] });
process.stdout.write(payload);
process.stderr.write(payload);
process.stdout.write('fds:' + written.length + '\\n');
process.exitCode = 3;
`;
        const result = await session.run({ source });
        expect(result.exitCode).toBe(3);
        expect(result.ok).toBe(false);
        expect(result.stdout.startsWith(payload)).toBe(true);
        expect(result.stderr).toBe(payload);
        // Whatever fds it found (its own, e.g. node's internal pipes), none was a channel to the host.
        expect(result.stdout).toMatch(/fds:/);
        await expectHonest(session, language);
      });
    },
  );
});

describe('upload names', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['NUL', 'a\u0000b.csv', /control characters/],
    ['newline', 'a\nb.csv', /control characters/],
    ['escape', 'x\u001b]52;c;ZXZpbA==\u0007.txt', /control characters/],
    ['absolute', '/etc/passwd', /absolute/],
    ['traversal', '../escape.txt', /plain relative path/],
    ['empty part', 'a//b.txt', /plain relative path/],
    ['lone surrogate', 'x\uD800.txt', /UTF-8/],
    ['too long', 'x'.repeat(300), /longer than 255 bytes/],
  ];
  it.each(bad)('%s: refused with a clear error, and the session stays usable', async (_what, name, why) => {
    await withSession('python', async (session) => {
      await expect(session.uploadFile(name, 'data')).rejects.toThrow(why);
      await session.uploadFile('ok/data.txt', 'fine');
      const result = await session.run({ source: 'print(open("ok/data.txt").read())' });
      expect(result.stdout).toBe('fine\n');
    });
  });

  it('an upload larger than one frame arrives whole, and a failed one leaves nothing behind', async () => {
    await withSession('python', async (session) => {
      const big = Buffer.alloc(3 * 1_048_576 + 123, 7);
      await session.uploadFile('big.bin', big);
      const size = await session.run({ source: 'import os\nprint(os.path.getsize("big.bin"))' });
      expect(size.stdout).toBe(`${big.length}\n`);
      // A directory in the way: refused, and no temporary file is left in the work dir.
      await session.uploadFile('dir/inner.txt', 'x');
      await expect(session.uploadFile('dir', 'y')).rejects.toThrow(/directory/);
      const left = await session.run({
        source: 'import os\nprint(sorted(os.listdir(".")), sorted(os.listdir("dir")))',
      });
      expect(left.stdout).toBe("['big.bin', 'dir', 'main.py', 'out'] ['inner.txt']\n");
    });
  });
});
