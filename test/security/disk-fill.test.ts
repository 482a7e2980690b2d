/**
 * Attack class: filling the disk. The script writes without end into its work dir, /tmp and /dev/shm,
 * tries a huge fallocate, and tries writable host places by path.
 * Host-side assertions: the host file systems the project and the host temp dir live on lost no more than a
 * few MiB while the script tried to write 256 MiB; nothing appeared on the host; the run reports kind
 * `disk` (or the script saw ENOSPC) with at most diskMb written per place.
 */
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import { LANGS, newEngine, PROJECT_ROOT, run, token, type Lang } from './support.js';

const DISK_MB = 8;
const ATTEMPT_MB = 256;

/** Fills /work (uncaught ENOSPC ends the script). */
const FILL_WORK: Record<Lang, string> = {
  python: `
print("FILL-START", flush=True)
with open("/work/fill", "wb") as f:
    for _ in range(${ATTEMPT_MB}):
        f.write(b"x" * (1 << 20))
        f.flush()
`,
  javascript: `
const fs = require('fs');
console.log('FILL-START');
const fd = fs.openSync('/work/fill', 'w');
const chunk = Buffer.alloc(1 << 20, 120);
for (let i = 0; i < ${ATTEMPT_MB}; i++) fs.writeSync(fd, chunk);
`,
  bash: `
set -e
echo FILL-START
head -c ${ATTEMPT_MB}M /dev/zero > /work/fill
`,
};

/** Fills each place given on stdin with up to `mb` MiB, prints how many bytes each took, tries a huge fallocate. */
const fillAll = (mb: number): string => `
import os, sys
name, *dirs = sys.stdin.read().split()
for d in dirs:
    path = d + "/" + name
    try:
        with open(path, "wb") as f:
            for _ in range(${mb}):
                f.write(b"x" * (1 << 20))
                f.flush()
    except OSError:
        pass
    print("WROTE", d, os.path.getsize(path) if os.path.exists(path) else 0)
    try:
        os.unlink(path)
    except OSError:
        pass
try:
    fd = os.open("/work/huge", os.O_CREAT | os.O_WRONLY)
    os.posix_fallocate(fd, 0, 1 << 40)
    print("FALLOCATED")
except OSError:
    pass
print("FILL-DONE")
`;

let engine: Engine;

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
});

function freeBytes(dir: string): number {
  const st = fs.statfsSync(dir);
  return st.bavail * st.bsize;
}

describe.each(LANGS)('disk fill (%s)', (lang) => {
  it(`writing ${ATTEMPT_MB} MiB into /work stops at diskMb=${DISK_MB} (kind disk) and the host disk is untouched`, async () => {
    const places = [os.tmpdir(), PROJECT_ROOT];
    const before = places.map(freeBytes);
    const result = await run(engine, {
      language: lang,
      source: FILL_WORK[lang],
      limits: { diskMb: DISK_MB, memoryMb: 128, timeoutMs: 5_000 },
    });
    const after = places.map(freeBytes);
    expect(result.stdout).toContain('FILL-START');
    expect(result.ok).toBe(false);
    expect(result.error?.kind, result.error?.message).toBe('disk');
    expect(result.stderr).toMatch(/No space left on device|ENOSPC/);
    // Other processes may write a little meanwhile; 256 MiB landing on the host would show.
    places.forEach((_, i) => expect((before[i] ?? 0) - (after[i] ?? 0)).toBeLessThan(64 * 1_048_576));
  });
});

describe('disk fill everywhere (python)', () => {
  async function fill(dirs: string[], mb: number): Promise<Array<readonly [string, number]>> {
    const name = token('scriptbox-fill-');
    const result = await run(engine, {
      language: 'python',
      source: fillAll(mb),
      stdin: `${name} ${dirs.join(' ')}\n`,
      limits: { diskMb: DISK_MB, memoryMb: 256, timeoutMs: 8_000 },
    });
    expect(result.stdout, result.stderr).toContain('FILL-DONE');
    expect(result.stdout).not.toContain('FALLOCATED');
    for (const dir of [os.tmpdir(), '/dev/shm', PROJECT_ROOT, '/dev']) {
      expect(fs.existsSync(`${dir}/${name}`), dir).toBe(false);
    }
    const wrote = [...result.stdout.matchAll(/^WROTE (\S+) (\d+)$/gm)].map(
      (m) => [m[1] ?? '', Number(m[2])] as const,
    );
    expect(wrote.map(([dir]) => dir)).toEqual(dirs);
    return wrote;
  }

  it(`/work, /tmp and /dev/shm each hold at most diskMb=${DISK_MB}; fallocate of 1 TiB fails`, async () => {
    for (const [dir, bytes] of await fill(['/work', '/tmp', '/dev/shm'], 64)) {
      expect(bytes, dir).toBeGreaterThan(0);
      expect(bytes, dir).toBeLessThanOrEqual(DISK_MB * 1_048_576);
    }
  });

  it(`/dev (a writable tmpfs too) holds at most diskMb=${DISK_MB}`, async () => {
    for (const [dir, bytes] of await fill(['/dev'], 64)) {
      expect(bytes, `${dir} took ${bytes} bytes`).toBeLessThanOrEqual(DISK_MB * 1_048_576);
    }
  });
});
