import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import {
  isEmpty,
  memoryLimitBytes,
  pidsCurrent,
  pidsLimit,
  sandboxCgroups,
  type SandboxCgroup,
} from '../support/cgroups.js';
import { abortOnceOutput } from '../support/wait.js';

/** The engine's own limits, which a warm sandbox holds until a run sets its own. */
const ENGINE_LIMITS = { memoryMb: 256, maxProcesses: 64 };
const limitsOf = (cgroup: SandboxCgroup): [number | null, number | null] => [
  memoryLimitBytes(cgroup),
  pidsLimit(cgroup),
];

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 1 }, limits: ENGINE_LIMITS });
});
afterAll(async () => {
  await engine.close();
});

describe('warm sandboxes', () => {
  it('warm() starts one confined sandbox per runtime ahead of any run', async () => {
    const before = sandboxCgroups().map((cgroup) => cgroup.name);
    await engine.warm('python');
    await engine.warm('python');
    const added = sandboxCgroups().filter((cgroup) => !before.includes(cgroup.name));
    expect(added).toHaveLength(1);
    // Confined already: its runner waits in the cgroup (the pids controller counts it), at the engine's limits.
    expect(added.map((cgroup) => pidsCurrent(cgroup) > 0)).toEqual([true]);
    expect(added.map(limitsOf)).toEqual([[ENGINE_LIMITS.memoryMb * 1_048_576, ENGINE_LIMITS.maxProcesses]]);
  });

  it('sets a run’s own limits on the warm sandbox’s cgroup before the script starts', async () => {
    await engine.warm('python');
    const waiting = sandboxCgroups().filter((cgroup) => !isEmpty(cgroup));
    expect(waiting).toHaveLength(1);
    const during: Array<[number | null, number | null]> = [];
    const result = await engine.run({
      language: 'python',
      source: 'import time\nprint("started", flush=True)\ntime.sleep(30)',
      limits: { memoryMb: 96, maxProcesses: 5 },
      ...abortOnceOutput('started', () => during.push(...waiting.map(limitsOf))),
    });
    expect(result.error?.kind).toBe('cancelled');
    expect(during).toEqual([[96 * 1_048_576, 5]]);
  });

  it('serves a run from the warm sandbox and never reuses it', async () => {
    await engine.warm('python');
    const first = await engine.run({
      language: 'python',
      source: 'import os\nopen("/tmp/left-behind", "w").write("x")\nprint(os.getpid())',
    });
    const second = await engine.run({
      language: 'python',
      source: 'import os\nprint(os.path.exists("/tmp/left-behind"), os.listdir("."))',
    });
    expect(first.ok).toBe(true);
    expect(second.stdout).toBe("False ['main.py', 'out']\n");
  });

  it('applies each run’s own limits to a warm sandbox, below and above the default', async () => {
    await engine.warm('python');
    const hog = 'b = bytearray(160 * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\nprint("kept")';
    const tight = await engine.run({ language: 'python', source: hog, limits: { memoryMb: 96 } });
    expect(tight.error?.kind).toBe('memory');
    await engine.warm('python');
    const roomy = await engine.run({ language: 'python', source: hog, limits: { memoryMb: 512 } });
    expect(roomy.stdout).toBe('kept\n');
    const forks =
      'import os\nfor _ in range(8):\n    if os.fork() == 0:\n        os._exit(0)\nprint("forked")';
    await engine.warm('python');
    const fewProcesses = await engine.run({ language: 'python', source: forks, limits: { maxProcesses: 3 } });
    expect(fewProcesses.error?.kind).toBe('processes');
  });

  it('bills the script, not the runner start-up it skipped: CPU of a trivial run stays small', async () => {
    await engine.warm('python');
    const idle = await engine.run({ language: 'python', source: 'pass' });
    const busy = await engine.run({
      language: 'python',
      source: 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass',
    });
    expect(busy.usage.cpuMs).toBeGreaterThanOrEqual(290);
    expect(idle.usage.cpuMs).toBeLessThan(busy.usage.cpuMs / 3);
  });

  it('runs with input files or another disk size start their own sandbox, and the pool stays usable', async () => {
    const withInput = await engine.run({
      language: 'python',
      source: 'print(open("in.txt").read())',
      files: [{ name: 'in.txt', content: 'from the host' }],
    });
    expect(withInput.stdout).toBe('from the host\n');
    const bigDisk = await engine.run({
      language: 'bash',
      source: "df -m /work | tail -1 | awk '{print $2}'",
      limits: { diskMb: 200 },
    });
    expect(Number(bigDisk.stdout.trim())).toBeGreaterThanOrEqual(199);
  });
});
