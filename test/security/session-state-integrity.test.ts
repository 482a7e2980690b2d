/**
 * Stateful sessions: a run may change the session's state (that is the point), but never the trusted
 * supervisor, the results it reports, another session, or the limits. The state lives in an untrusted
 * holder process; these attacks come from it and from the runs forked from it. Each has a positive
 * control (the attack code ran and reached what it may reach).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Session } from '../../src/index.js';
import { newEngine } from './support.js';

let engine: Engine;
beforeAll(async () => {
  engine = await newEngine();
});
afterAll(async () => {
  await engine.close();
});

async function withSession<T>(language: string, body: (session: Session) => Promise<T>): Promise<T> {
  const session = await engine.createSession({ language, limits: { timeoutMs: 5_000, cpuMs: 5_000 } });
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

async function expectHonest(session: Session): Promise<void> {
  const result = await session.run({ source: 'print(6 * 7, sum([1, 2, 3]))' });
  expect([result.ok, result.exitCode, result.stdout]).toEqual([true, 0, '42 6\n']);
}

describe('stateful session integrity', () => {
  it('a run sees only its own state and itself, never the supervisor, and what it does to its state stays there', async () => {
    await withSession('python', async (session) => {
      const probe = await session.run({
        source: `import json, os, signal
me, holder = os.getpid(), os.getppid()
visible = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
sent = []
for pid in visible:
    if pid not in (me, 1):
        os.kill(pid, signal.SIGKILL)  # its own state's process: allowed, and this run carries the state on
        sent.append(pid)
x = "still here"
print(json.dumps({"visible": visible, "me": me, "holder": holder, "sent": sent}))
`,
      });
      const found = JSON.parse(probe.stdout) as {
        visible: number[];
        me: number;
        holder: number;
        sent: number[];
      };
      // Its pid namespace: the placeholder init, the state it was forked from, itself; no supervisor.
      expect(found.visible).toEqual([1, found.holder, found.me].sort((a, b) => a - b));
      expect(found.sent).toEqual([found.holder]); // positive control: the kill reached the holder
      expect(probe.state).toBe('updated');
      const after = await session.run({ source: 'print(x)' });
      expect(after.stdout).toBe('still here\n');
      await expectHonest(session);
    });
  });

  it('a thread a run leaves running is stopped between runs: it neither runs nor writes outside a run', async () => {
    await withSession('python', async (session) => {
      const started = await session.run({
        source: `import threading, time
ticks = [0]
def tick():
    while True:
        ticks[0] += 1
        print("tick", flush=True)
        time.sleep(0.005)
threading.Thread(target=tick, daemon=True).start()
time.sleep(0.3)
print("ticks", ticks[0])
`,
      });
      const during = Number(/ticks (\d+)/.exec(started.stdout)?.[1]);
      expect(during).toBeGreaterThan(10); // positive control: it ran during its run
      await sleep(1_000);
      const later = await session.run({ source: 'print("ticks", ticks[0])' });
      const after = Number(/ticks (\d+)/.exec(later.stdout)?.[1]);
      // Free between runs, it would have ticked ~200 times in that second.
      expect(after - during).toBeLessThan(60);
    });
  });

  it('a run that reports itself done early is stopped with its state and held to the next run’s limits', async () => {
    await withSession('python', async (session) => {
      const forged = await session.run({
        source: `import os, time
for run_id in range(1, 64):
    try:
        os.write(4, b"done %d 0\\n" % run_id)
    except OSError:
        pass
beats = 0
while True:
    beats += 1
    if beats % 20000 == 0:
        open("beat", "w").write(str(time.time()))
`,
        limits: { timeoutMs: 3_000 },
      });
      // It did end its own run early (the forged line came from the run's own process), but it is
      // stopped: nothing of it runs until the next run.
      expect(forged.state).toBe('updated');
      // (Once reported, the supervisor gives the state a moment — at most 250 ms — to fork its next run.)
      await sleep(400);
      const before = (await session.readFile('beat').catch(() => Buffer.from(''))).toString();
      await sleep(700);
      const still = (await session.readFile('beat').catch(() => Buffer.from(''))).toString();
      expect(still).toBe(before);
      // The next run resumes it: it is still looping, so that run meets its limit; the state that no
      // longer answers is dropped, and the session goes on from an empty state.
      const next = await session.run({ source: 'print(1)', limits: { timeoutMs: 1_000 } });
      expect(next.error?.kind).toBe('timeout');
      const beaten = (await session.readFile('beat')).toString();
      expect(beaten).not.toBe(before); // positive control: the loop was alive, and ran within that run
      const recovered = await session.run({ source: 'print(1)' });
      expect(recovered.stdout).toBe('1\n');
      expect(recovered.state).toBe('reset');
      await expectHonest(session);
    });
  });

  it('the next run’s standby, forked between runs, is stopped after its moment to warm up', async () => {
    await withSession('python', async (session) => {
      // The state is the run's to change: here the code its next standby runs while it waits.
      const patched = await session.run({
        source: `import sys, time
def forever(pages):
    while True:
        open("beat", "w").write(repr(time.time()))
        time.sleep(0.01)
sys.modules["session_holder"].warm = forever
`,
      });
      expect(patched.state).toBe('updated');
      await sleep(400);
      const first = (await session.readFile('beat')).toString(); // positive control: it ran
      await sleep(700);
      expect((await session.readFile('beat')).toString()).toBe(first); // and then it was stopped
      // It never takes its run: that run meets its limit, and the session goes on from an empty state.
      const next = await session.run({ source: 'print(1)', limits: { timeoutMs: 1_000 } });
      expect(next.error?.kind).toBe('timeout');
      const recovered = await session.run({ source: 'print(2)' });
      expect([recovered.stdout, recovered.state]).toEqual(['2\n', 'reset']);
    });
  });

  it('a program a run starts does not get the state holder’s channels', async () => {
    await withSession('python', async (session) => {
      const result = await session.run({
        source: `import os, subprocess
own = [os.get_inheritable(fd) for fd in (3, 4)]
child = subprocess.run(["/bin/sh", "-c", "echo 'done 1 0' >&4 && echo wrote"], close_fds=False, capture_output=True, text=True)
os.write(4, b"")  # positive control: the run itself holds the channel (it is its own state's)
print(own, child.returncode != 0, "wrote" in child.stdout)
`,
      });
      expect(result.stdout).toBe('[False, False] True False\n');
      await expectHonest(session);
    });
  });

  it('two stateful sessions never share state', async () => {
    const [a, b] = await Promise.all([
      engine.createSession({ language: 'python' }),
      engine.createSession({ language: 'python' }),
    ]);
    try {
      await a.run({ source: 'secret = "only-a"\nimport builtins\nbuiltins.print = lambda *a, **k: None' });
      const probe = await b.run({ source: 'print("secret" in globals())' });
      expect(probe.stdout).toBe('False\n');
      const own = await a.run({ source: 'import sys\nsys.stdout.write(secret + "\\n")' });
      expect(own.stdout).toBe('only-a\n'); // positive control: a's state did change
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
