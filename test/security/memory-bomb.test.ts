/**
 * Attack class: memory bomb. The script allocates (and touches) memory without end: a list of byte
 * strings (python), Buffers (node), a doubling string (bash); and, in python, files on the /dev/shm and
 * /work tmpfs (memory that is not in any process).
 * Host-side assertions: the run is killed with kind `memory`, the cgroup's peak (read by the host) never
 * passed the limit, the host's event loop kept ticking and it can still start processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import { hostResponsive, LANGS, newEngine, run, watchEventLoop, type Lang } from './support.js';

/** Node itself needs ~40 MiB before the script starts. */
const MEMORY_MB: Record<Lang, number> = { python: 64, javascript: 128, bash: 64 };

const BOMBS: Record<Lang, string> = {
  python: `
hog = []
print("BOMB-START", flush=True)
while True:
    hog.append(bytearray(b"x" * (1 << 20)))
`,
  javascript: `
const hog = [];
console.log('BOMB-START');
for (;;) hog.push(Buffer.alloc(1 << 20, 1));
`,
  bash: `
echo BOMB-START
s=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
while :; do s+=$s; done
`,
};

let engine: Engine;

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
});

function expectMemoryKill(
  result: Awaited<ReturnType<typeof run>>,
  memoryMb: number,
  worstStall: number,
  started = 'BOMB-START',
): void {
  expect(result.stdout, result.stderr).toContain(started);
  expect(result.ok).toBe(false);
  expect(result.error?.kind, result.error?.message).toBe('memory');
  expect(result.usage.peakMemoryBytes).toBeGreaterThan(0);
  expect(result.usage.peakMemoryBytes).toBeLessThanOrEqual(memoryMb * 1_048_576);
  expect(result.hostWallMs).toBeLessThan(4_000);
  expect(worstStall).toBeLessThan(1_500);
  expect(hostResponsive()).toBe(true);
}

describe.each(LANGS)('memory bomb (%s)', (lang) => {
  it(`is killed at memoryMb=${MEMORY_MB[lang]} (kind memory) and the host is fine`, async () => {
    const stall = watchEventLoop();
    const result = await run(engine, {
      language: lang,
      source: BOMBS[lang],
      limits: { memoryMb: MEMORY_MB[lang], timeoutMs: 5_000, cpuMs: 5_000 },
    });
    expectMemoryKill(result, MEMORY_MB[lang], stall());
  });
});

describe('memory bomb through tmpfs (python)', () => {
  for (const dir of ['/dev/shm', '/work', '/tmp']) {
    it(`files in ${dir} count against the memory limit (diskMb larger than memoryMb)`, async () => {
      const stall = watchEventLoop();
      const result = await run(engine, {
        language: 'python',
        source: `
print("BOMB-START", flush=True)
with open("${dir}/hog", "wb") as f:
    while True:
        f.write(b"x" * (1 << 20))
        f.flush()
`,
        limits: { memoryMb: 32, diskMb: 512, timeoutMs: 5_000, cpuMs: 5_000 },
      });
      expectMemoryKill(result, 32, stall());
    });
  }
});
