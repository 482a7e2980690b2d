import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  ScriptboxError,
  SessionClosedError,
  type Engine,
  type EngineEvents,
  type Session,
} from '../../src/index.js';
import { abortOnceOutput, waitUntil } from '../support/wait.js';
import { diskMarker, markedSandboxProcesses } from './sandbox-processes.js';

let engine: Engine;
let py: Session;
beforeAll(async () => {
  engine = await createEngine({
    pool: { size: 0 },
    limits: { timeoutMs: 5_000 },
    runtimes: [{ name: 'perl', extensions: ['.pl'], interpreter: '/usr/bin/perl', runner: 'exec' }],
  });
  // These tests are about fresh-per-run sessions; stateful ones: session-state.test.ts.
  py = await engine.createSession({ language: 'python', preload: ['json', 'csv'], state: 'fresh' });
});
afterAll(async () => {
  await engine.close();
});

describe('python sessions', () => {
  it('keeps files across runs but starts every run with fresh state', async () => {
    await py.uploadFile('data/rows.csv', 'n\n1\n2\n3\n');
    const first = await py.run({
      source:
        'import csv\ncounter = 41\ntotal = sum(int(r["n"]) for r in csv.DictReader(open("data/rows.csv")))\nopen("total.txt", "w").write(str(total))',
    });
    expect(first.error).toBeNull();
    const second = await py.run({ source: 'print(open("total.txt").read(), "counter" in globals())' });
    expect(second.stdout).toBe('6 False\n');
  });

  it('runs with modules preloaded and bills only the run, not the preload', async () => {
    const result = await py.run({ source: 'import sys\nprint("json" in sys.modules, "csv" in sys.modules)' });
    expect(result.stdout).toBe('True True\n');
    expect(result.usage.peakMemoryBytes).toBeLessThan(16 * 1_048_576);
  });

  it('takes files with a run, from bytes or from a host path, and keeps them', async () => {
    const result = await py.run({
      source: 'print(open("notes/a.txt").read(), open("package.json").read()[:1])',
      files: [{ name: 'notes/a.txt', content: 'from bytes' }, { path: 'package.json' }],
    });
    expect(result.stdout).toBe('from bytes {\n');
    expect((await py.listFiles()).map((f) => f.path)).toEqual(
      expect.arrayContaining(['notes/a.txt', 'package.json']),
    );
    await expect(py.run({ source: 'pass', files: [{ path: '/nonexistent/x.csv' }] })).rejects.toThrow(
      /cannot read input file \/nonexistent\/x\.csv/,
    );
  });

  it('gives each run its own stdin', async () => {
    const one = await py.run({ source: 'import sys\nprint(sys.stdin.read()[::-1])', stdin: 'abc' });
    const two = await py.run({ source: 'import sys\nprint(repr(sys.stdin.read()))' });
    expect([one.stdout, two.stdout]).toEqual(['cba\n', "''\n"]);
  });

  it('a run that hits a limit, crashes or is cancelled leaves the session usable', async () => {
    const timeout = await py.run({ source: 'while True: pass', limits: { timeoutMs: 300 } });
    expect(timeout.error?.kind).toBe('timeout');
    const memory = await py.run({
      source: 'b = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1',
      limits: { memoryMb: 64 },
    });
    expect(memory.error?.kind).toBe('memory');
    const forks = await py.run({
      source:
        'import os, time\nfor _ in range(20):\n    if os.fork() == 0:\n        time.sleep(5)\n        os._exit(0)',
      limits: { maxProcesses: 4 },
    });
    expect(forks.error?.kind).toBe('processes');
    const crash = await py.run({ source: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)' });
    expect(crash).toMatchObject({ exitCode: null, signal: 'SIGSEGV', error: { kind: 'runtime' } });
    const flood = await py.run({ source: 'print("x" * 100_000)', limits: { maxOutputBytes: 1000 } });
    expect(flood).toMatchObject({ truncated: { stdout: true }, error: { kind: 'output_limit' } });
    expect(flood.stdout.length).toBe(1000);
    // A line is streamed as soon as it is printed (only what could still be the end token waits).
    const cancelled = await py.run({
      source: 'import time\nprint("started", flush=True)\ntime.sleep(10)',
      ...abortOnceOutput('started'),
    });
    expect(cancelled).toMatchObject({ stdout: 'started\n', error: { kind: 'cancelled' } });
    const after = await py.run({ source: 'print("still here")' });
    expect(after.stdout).toBe('still here\n');
  });

  it('kills what a run left behind before the next run starts', async () => {
    await py.run({
      source:
        'import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(1)\n    open("late.txt", "w").write("x")\n    os._exit(0)',
    });
    const next = await py.run({
      source:
        'import os, time\ntime.sleep(1.5)\nprint(sorted(p for p in os.listdir("/proc") if p.isdigit() and int(p) > 1 and int(p) != os.getpid() and int(p) != os.getppid()), os.path.exists("late.txt"))',
    });
    expect(next.stdout).toBe('[] False\n');
  });

  it('reports syntax errors without running anything', async () => {
    const result = await py.run({ source: 'open("ran.txt", "w")\nif True print(1)' });
    expect(result.error).toMatchObject({ kind: 'syntax', line: 2 });
    expect((await py.listFiles()).map((f) => f.path)).not.toContain('ran.txt');
  });

  it('lists and reads work files without following symlinks the script planted', async () => {
    await py.run({
      source:
        'import os\nos.makedirs("out", exist_ok=True)\nopen("out/ok.txt", "w").write("fine")\nos.symlink("/etc/passwd", "out/link")\nos.symlink("/etc", "out/dir")',
    });
    const files = (await py.listFiles()).map((f) => f.path);
    expect(files).toContain('out/ok.txt');
    expect(files).not.toContain('out/link');
    expect((await py.readFile('out/ok.txt')).toString()).toBe('fine');
    await expect(py.readFile('out/link')).rejects.toThrow(/symlink/);
    await expect(py.readFile('out/dir/passwd')).rejects.toThrow(/symlink/);
    await expect(py.readFile('../etc/passwd')).rejects.toThrow(/plain relative path/);
  });
});

describe('a fresh session starts each run with an empty out/ (its files are the ones it wrote)', () => {
  it.each(['python', 'javascript'])('%s', async (language) => {
    const session = await engine.createSession({ language, state: 'fresh' });
    const write = (name: string): string =>
      language === 'python'
        ? `open("out/${name}", "w").write("x")\nopen("${name}.kept", "w").write("x")`
        : `require("node:fs").writeFileSync("out/${name}", "x");\nrequire("node:fs").writeFileSync("${name}.kept", "x");`;
    try {
      const first = await session.run({ source: write('first.txt') });
      expect(first.files.map((file) => file.path)).toEqual(['first.txt']);
      // A link left in place of out/ is removed, not followed.
      const planted =
        language === 'python'
          ? 'import os, shutil\nshutil.rmtree("out")\nos.symlink("/tmp", "out")'
          : 'const fs = require("node:fs");\nfs.rmSync("out", { recursive: true });\nfs.symlinkSync("/tmp", "out");';
      await session.run({ source: planted });
      const second = await session.run({ source: write('second.txt') });
      expect(second.files.map((file) => file.path)).toEqual(['second.txt']);
      const names = (await session.listFiles()).map((file) => file.path);
      expect(names).toEqual(expect.arrayContaining(['first.txt.kept', 'second.txt.kept', 'out/second.txt']));
      expect(names).not.toContain('out/first.txt');
    } finally {
      await session.close();
    }
  });
});

describe('isolation and lifecycle', () => {
  it('a run inherits no descriptor of the runner or the host (it cannot forge the runner’s events)', async () => {
    // The runner's channels are socketpairs and the host seals leaked fds to /dev/null: a run holds neither.
    const listSockets = {
      python:
        'import os\nprint([fd for fd in os.listdir("/proc/self/fd") if int(fd) > 2 and os.path.exists("/proc/self/fd/" + fd) and os.readlink("/proc/self/fd/" + fd).startswith(("socket:", "/dev/null"))])',
      javascript:
        'const fs = require("node:fs");\nconst link = (fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return ""; } };\nconsole.log(JSON.stringify(fs.readdirSync("/proc/self/fd").filter((fd) => Number(fd) > 2 && (link(fd).startsWith("socket:") || link(fd) === "/dev/null"))))',
    } as const;
    for (const [language, state] of [
      ['python', 'fresh'],
      ['python', 'stateful'],
      ['javascript', 'fresh'],
      ['javascript', 'stateful'],
    ] as const) {
      const session = await engine.createSession({ language, state });
      try {
        const result = await session.run({ source: listSockets[language] });
        expect(result.stdout.trim(), `${language} ${state}`).toBe('[]');
      } finally {
        await session.close();
      }
    }
  });

  it.each([
    ['fresh', 2],
    ['stateful', 3],
  ] as const)('two %s sessions never see each other’s files or processes', async (state, processes) => {
    const a = await engine.createSession({ language: 'python', state });
    const b = await engine.createSession({ language: 'python', state });
    try {
      await a.uploadFile('secret.txt', 'only-for-a');
      await a.run({ source: 'import time\nopen("/tmp/a-was-here", "w")' });
      const probe = await b.run({
        source:
          'import os\nprint(os.path.exists("secret.txt"), os.path.exists("/tmp/a-was-here"), len([p for p in os.listdir("/proc") if p.isdigit()]))',
      });
      // Its own pid namespace: the namespace's placeholder init and the run itself (and, in a stateful
      // session, the state it was forked from).
      expect(probe.stdout).toBe(`False False ${processes}\n`);
      await expect(b.readFile('secret.txt')).rejects.toThrow(/no such file/);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('closes after its idle timeout, and refuses calls once closed', async () => {
    const idle = await engine.createSession({ language: 'python', idleTimeoutMs: 1_000 });
    expect((await idle.run({ source: 'print(1)' })).stdout).toBe('1\n');
    const lastUsed = performance.now();
    expect(idle.closed).toBe(false);
    // The delay is what is under test: wait for its observable effect, with a deadline.
    await waitUntil(() => idle.closed, { what: 'the idle session to close', timeoutMs: 10_000 });
    expect(performance.now() - lastUsed).toBeGreaterThanOrEqual(900); // not before its idle time
    const refused = idle.run({ source: 'print(2)' });
    await expect(refused).rejects.toBeInstanceOf(SessionClosedError);
    await expect(refused).rejects.toThrow(/idle for 1000 ms/);
  });

  it('preloads a library that starts threads (numpy) and runs threaded work in each run', async () => {
    const np = await engine.createSession({ language: 'python', preload: ['numpy'] });
    try {
      const source =
        'import numpy, threading\nt = threading.Thread(target=lambda: None)\nt.start(); t.join()\nprint(int(numpy.ones((200, 200)).dot(numpy.ones(200)).sum()))';
      for (let i = 0; i < 2; i++) expect((await np.run({ source })).stdout).toBe('40000\n');
    } finally {
      await np.close();
    }
  });

  it('refuses languages without sessions and modules that cannot be preloaded', async () => {
    await expect(engine.createSession({ language: 'perl' })).rejects.toThrow(/perl has no sessions/);
    await expect(engine.createSession({ language: 'python', preload: ['no_such_module_x'] })).rejects.toThrow(
      /cannot import no_such_module_x/,
    );
  });
});

describe('javascript and typescript sessions', () => {
  it('fresh: run every script in a fresh node with the files kept', async () => {
    const js = await engine.createSession({ language: 'typescript', state: 'fresh' });
    try {
      const first = await js.run({
        source:
          'const fs = require("node:fs");\n(globalThis as any).mark = 1;\nfs.writeFileSync("kept.txt", "yes");',
      });
      expect(first.error).toBeNull();
      const second = await js.run({
        source:
          'import { readFileSync } from "node:fs";\nconsole.log(readFileSync("kept.txt", "utf8"), typeof (globalThis as any).mark);',
      });
      expect(second.stdout).toBe('yes undefined\n');
      const bad = await js.run({ source: 'let x: number = ;' });
      expect(bad.error?.kind).toBe('syntax');
      const thrown = await js.run({ source: 'throw new RangeError("nope")' });
      expect(thrown.error?.message).toMatch(/^RangeError: nope/);
    } finally {
      await js.close();
    }
  });
});

describe('cancelling createSession (its signal): no sandbox is left', () => {
  /** Session sandboxes created and destroyed while `work` runs. */
  async function watchSandboxes(
    work: (created: string[]) => Promise<unknown>,
  ): Promise<{ value: unknown; created: string[]; destroyed: Set<string> }> {
    const created: string[] = [];
    const destroyed = new Set<string>();
    const onCreate = (event: EngineEvents['sandbox:create']): void => {
      if (event.purpose === 'session') created.push(event.sandboxId);
    };
    const onDestroy = (event: EngineEvents['sandbox:destroy']): void => void destroyed.add(event.sandboxId);
    engine.events.on('sandbox:create', onCreate).on('sandbox:destroy', onDestroy);
    try {
      return { value: await work(created).catch((err: unknown) => err), created, destroyed };
    } finally {
      engine.events.off('sandbox:create', onCreate).off('sandbox:destroy', onDestroy);
    }
  }

  it('aborted as its sandbox comes up (sandbox:create): the sandbox is destroyed, it rejects with the reason', async () => {
    const controller = new AbortController();
    const { value, created, destroyed } = await watchSandboxes((ids) => {
      const onCreate = (): void => {
        if (ids.length > 0) controller.abort();
      };
      engine.events.on('sandbox:create', onCreate);
      return engine
        .createSession({ language: 'python', signal: controller.signal })
        .finally(() => engine.events.off('sandbox:create', onCreate));
    });
    expect(value).toMatchObject({ code: 'CANCELLED' });
    expect(created).toHaveLength(1);
    // Destroyed before createSession rejected.
    expect([...destroyed]).toContain(created[0]);
  });

  it('aborted while bwrap starts it: the start is killed, nothing of it is left', async () => {
    // This session's bwrap has a disk size no other test uses: its processes are recognisable.
    const marker = diskMarker(31);
    const controller = new AbortController();
    const { value, created } = await watchSandboxes(async () => {
      const starting = engine.createSession({
        language: 'python',
        preload: ['pandas'], // a start that takes a while
        limits: { diskMb: 31 },
        signal: controller.signal,
      });
      const settled = starting.then(
        () => 'resolved',
        () => 'rejected',
      );
      await Promise.race([
        settled,
        waitUntil(() => markedSandboxProcesses(marker).length > 0, { what: 'the session bwrap' }),
      ]);
      controller.abort();
      return starting;
    });
    expect(value).toMatchObject({ code: 'CANCELLED' });
    // Cut short before its runner was ready: it never counted as created.
    expect(created).toEqual([]);
    expect(markedSandboxProcesses(marker)).toEqual([]);
  });

  it('aborted already: no sandbox starts', async () => {
    const reason = new Error('not wanted');
    const { value, created } = await watchSandboxes(() =>
      engine.createSession({ language: 'python', signal: AbortSignal.abort(reason) }),
    );
    expect(value).toBeInstanceOf(ScriptboxError);
    expect(value).toMatchObject({ code: 'CANCELLED', cause: reason });
    expect(created).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    'aborted while it waits for a free host uid: it stops waiting, and the uids stay usable',
    async () => {
      // Two uids of its own: two sessions hold them, a third waits.
      const first = 2_000_100_050;
      const small = await createEngine({ pool: { size: 0 }, sandbox: { uids: { first, last: first + 1 } } });
      const held = await Promise.all([0, 1].map(() => small.createSession({ language: 'python' })));
      try {
        const created: string[] = [];
        small.events.on('sandbox:create', (event) => created.push(event.sandboxId));
        const controller = new AbortController();
        const waiting = small.createSession({ language: 'python', signal: controller.signal });
        controller.abort(); // the launch is inside the uid pool's wait by now
        // Without the signal the wait would last the pool's 30 s, then fail as unavailable.
        await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
        expect(created).toEqual([]);
        await held[0]?.close();
        const next = await small.createSession({ language: 'python' });
        expect((await next.run({ source: 'print("free")' })).stdout).toBe('free\n');
      } finally {
        await small.close();
      }
    },
  );

  it('a run cancelled before it starts is not run at all (the session stays)', async () => {
    const result = await py.run({
      source: 'open("ran.txt", "w").write("x")',
      signal: AbortSignal.abort(),
    });
    expect(result.error?.kind).toBe('cancelled');
    const after = await py.run({ source: 'import os\nprint(os.path.exists("ran.txt"))' });
    expect(after.stdout).toBe('False\n');
  });
});
