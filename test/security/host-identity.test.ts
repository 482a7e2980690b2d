/**
 * Attack class: learning who and where the host is. A script reads what a sandbox shows of its
 * surroundings: its cgroup paths (/proc/self/cgroup: relative to its cgroup namespace, so the names of the
 * engine's and the sandbox's cgroups), its mount table (bind sources), the command line and environment
 * of its pid 1 (bwrap's own arguments), its own environment and its hostname.
 * Host-side assertions: none of it holds the engine's host pid (as a number of its own), the host's name
 * or the project path; the cgroup names are random ids. Positive control: the script really read each
 * file (it reports their lengths), in a one-shot sandbox and in a session's.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, RunResult } from '../../src/index.js';
import { LANGS, newEngine, PROJECT_ROOT, run, type Lang } from './support.js';

const FILES = [
  '/proc/self/cgroup',
  '/proc/self/mountinfo',
  '/proc/self/environ',
  '/proc/1/cmdline',
  '/proc/1/environ',
  '/proc/sys/kernel/hostname',
];

/**
 * Prints `==<file> <length>` then the file (NULs as spaces) for each of FILES (`==<file> denied` when it
 * may not be read), then the uname nodename.
 */
const READERS: Record<Lang, string> = {
  python: `
import os
for f in ${JSON.stringify(FILES)}:
    try:
        with open(f, "rb") as fh:
            data = fh.read()
    except PermissionError:
        print("==%s denied" % f)
        continue
    print("==%s %d" % (f, len(data)))
    print(data.replace(b"\\0", b" ").decode("latin1"))
print("==uname", os.uname().nodename)
print("READ-DONE")
`,
  javascript: `
const fs = require('fs');
const os = require('os');
for (const f of ${JSON.stringify(FILES)}) {
  let data;
  try {
    data = fs.readFileSync(f);
  } catch (err) {
    if (err.code !== 'EACCES') throw err;
    console.log('==' + f + ' denied');
    continue;
  }
  console.log('==' + f + ' ' + data.length);
  console.log(data.toString('latin1').replace(/\\0/g, ' '));
}
console.log('==uname ' + os.hostname());
console.log('READ-DONE');
`,
  bash: `
for f in ${FILES.join(' ')}; do
  # cat opens the file itself: a redirect would open /proc/self/* before the exec, of another image.
  if ! cat "$f" >/dev/null 2>&1; then echo "==$f denied"; continue; fi
  n=$(cat "$f" | wc -c)
  echo "==$f $n"
  cat "$f" | tr '\\0' ' '; echo
done
echo "==uname $(uname -n)"
echo READ-DONE
`,
};

let engine: Engine;

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Checks what the reader printed: it read everything, and nothing names the host. */
function expectNoHostIdentity(result: RunResult): void {
  const out = result.stdout;
  expect(out, result.stderr).toContain('READ-DONE');
  // Positive control: every file was read and holds something, but pid 1's environment: bwrap's is
  // empty, and a session run's pid 1 (a placeholder init of its own pid namespace) may not be read.
  for (const file of FILES) {
    const length = new RegExp(`^==${escape(file)} (\\d+|denied)$`, 'm').exec(out)?.[1];
    expect(length, file).toBeDefined();
    if (file !== '/proc/1/environ') expect(Number(length), file).toBeGreaterThan(0);
  }
  expect(out).toMatch(/^==uname scriptbox$/m);

  // The engine's host pid, as a number of its own (not a digit run inside a longer number).
  expect(out).not.toMatch(new RegExp(`(?<![0-9])${process.pid}(?![0-9])`));
  const hostname = os.hostname();
  if (hostname !== 'scriptbox' && hostname !== 'localhost') {
    expect(out).not.toMatch(new RegExp(`(?<![\\w.-])${escape(hostname)}(?![\\w-])`));
  }
  expect(out).not.toContain(PROJECT_ROOT);

  // cgroup paths: the sandbox's cgroups under the engine's, both named by random ids only.
  const cgroups = /^==\/proc\/self\/cgroup \d+\n([\s\S]*?)^==/m.exec(out)?.[1] ?? '';
  const paths = cgroups
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':').slice(2).join(':'));
  expect(paths.length).toBeGreaterThan(0);
  const named = paths.filter((path) => path !== '/');
  expect(named.length).toBeGreaterThan(0); // memory and pids at least
  for (const path of named) expect(path).toMatch(/^(\/\.\.)*\/scriptbox-[0-9a-f]{16}\/sandbox-[0-9a-f]{16}$/);
}

describe.each(LANGS)('host identity (%s)', (lang) => {
  it("sees neither the engine's pid, the host's name nor the project path (cgroup, mounts, pid 1, env)", async () => {
    expectNoHostIdentity(await run(engine, { language: lang, source: READERS[lang] }));
  });
});

describe('host identity (python session)', () => {
  it("a session's sandbox shows no more of the host", async () => {
    const session = await engine.createSession({ language: 'python' });
    try {
      expectNoHostIdentity(await session.run({ source: READERS.python }));
    } finally {
      await session.close();
    }
  });
});
