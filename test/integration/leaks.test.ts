import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { diskMarker, markedSandboxProcesses } from './sandbox-processes.js';
import { engineCgroupDirs, ownEngineCgroups } from '../support/cgroups.js';
import { abortOnceOutput } from '../support/wait.js';
import { createEngine, type RunResult, type Session } from '../../src/index.js';

/** This test's engine has a disk size no other test uses, so its bwrap command lines are recognisable. */
const DISK_MB = 23;
const sandboxProcesses = (): string[] => markedSandboxProcesses(diskMarker(DISK_MB));

const openFds = (): number => readdirSync('/proc/self/fd').length;
/** Host temp dirs an engine of this process made (only unsafe runs ever make one). */
const scriptboxTempDirs = (): string[] =>
  readdirSync(tmpdir()).filter((name) => name.startsWith(`scriptbox-unsafe-${process.pid}-`));

describe('no leaks', () => {
  it('after thousands of runs (killed and timed-out ones too), close() leaves nothing behind', async () => {
    const before = {
      fds: openFds(),
      temp: scriptboxTempDirs(),
    };
    expect(sandboxProcesses()).toEqual([]);
    const engine = await createEngine({ pool: { size: 2 }, limits: { timeoutMs: 5_000, diskMb: DISK_MB } });
    // The engine's own cgroups (names are random ids: found through the engine's host lease).
    const ourCgroups = engineCgroupDirs(ownEngineCgroups());
    expect(ourCgroups.length).toBeGreaterThan(0); // a control: the engine's own cgroups are seen
    const kinds = new Map<string, number>();
    const count = (result: RunResult): void => {
      const kind = result.error?.kind ?? 'ok';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    };
    const sessions: Session[] = await Promise.all(
      ['python', 'python', 'javascript'].map((language) => engine.createSession({ language })),
    );
    const [py1, py2, js] = sessions as [Session, Session, Session];
    const sessionWork = async (session: Session, runs: number, language: string): Promise<void> => {
      for (let i = 0; i < runs; i++) {
        if (i % 100 === 7) {
          count(
            await session.run({
              source: language === 'python' ? 'while True: pass' : 'for(;;){}',
              limits: { timeoutMs: 60 },
            }),
          );
        } else if (i % 100 === 13) {
          // Cancelled once under way (the marker is padded: a session streams 34 bytes behind).
          count(
            await session.run({
              source:
                language === 'python'
                  ? 'import time\nprint("started", "-" * 40, flush=True)\ntime.sleep(5)'
                  : // awaited: a stateful session's cell ends when its code does, not its timers
                    'console.log("started", "-".repeat(40));\nawait new Promise((r) => setTimeout(r, 5000));',
              ...abortOnceOutput('started'),
            }),
          );
        } else if (i % 100 === 21 && language === 'python') {
          count(
            await session.run({
              source: 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(30)',
            }),
          );
        } else {
          count(await session.run({ source: language === 'python' ? 'pass' : '0' }));
        }
      }
    };
    const oneShots = async (runs: number): Promise<void> => {
      for (let i = 0; i < runs; i++) {
        const timeout = i % 25 === 3;
        count(
          await engine.run({
            language: i % 2 === 0 ? 'python' : 'bash',
            source: timeout
              ? i % 2 === 0
                ? 'while True: pass'
                : 'while :; do :; done'
              : i % 2 === 0
                ? 'pass'
                : 'true',
            limits: timeout ? { timeoutMs: 60 } : {},
          }),
        );
      }
    };
    await Promise.all([
      sessionWork(py1, 1000, 'python'),
      sessionWork(py2, 800, 'python'),
      sessionWork(js, 100, 'javascript'),
      oneShots(300),
    ]);
    const batch = await engine.runBatch({
      script: { language: 'python', source: 'import json, sys\nprint(json.load(sys.stdin)["n"])' },
      items: Array.from({ length: 60 }, (_, n) => ({ n })),
      concurrency: 6,
    });
    expect(batch.summary.succeeded).toBe(60);

    const total = [...kinds.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(2200);
    // i % 100 === 7 and i % 25 === 3 time out; i % 100 === 13 are cancelled.
    expect(kinds.get('timeout')).toBe(10 + 8 + 1 + 12);
    expect(kinds.get('cancelled')).toBe(10 + 8 + 1);
    expect(sandboxProcesses().length).toBeGreaterThan(0); // the live sessions and the pool, as a control

    await engine.close();
    expect(sandboxProcesses().join('\n'), 'processes left').toBe('');
    expect(
      ourCgroups.filter((dir) => existsSync(dir)),
      'cgroups left',
    ).toEqual([]);
    // Sandboxed runs keep everything in the sandbox's own tmpfs: not one host temp dir, ever.
    expect(scriptboxTempDirs().filter((name) => !before.temp.includes(name))).toEqual([]);
    expect(openFds()).toBe(before.fds);
  }, 240_000);
});
