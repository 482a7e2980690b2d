/**
 * Attack class: host file descriptors inherited into the sandbox (runc CVE-2024-21626 style). A process
 * that embeds scriptbox may hold descriptors without close-on-exec (left by a parent shell, a CI runner,
 * systemd socket activation...). bwrap passes every inherited descriptor through to the sandboxed command,
 * so the script must not find any: a directory fd is a way out of the mount namespace
 * (/proc/self/fd/N/../..), a file fd reads the file.
 * The test starts the engine in a child host process holding a host directory fd and a host secret file
 * fd (both without close-on-exec, at fd 20 and 21), and the script looks through every fd it has.
 * Host-side assertions: the secret's bytes and the host root's listing never come back, and nothing is
 * created in the (world-writable) host directory above the leaked one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/index.js';
import type { Engine } from '../../src/index.js';
import {
  hostTempDir,
  LANGS,
  newEngine,
  plantSecret,
  PROJECT_ROOT,
  readableBySandboxUid,
  run,
  token,
  writableBySandboxUid,
  type Lang,
} from './support.js';

const CHILD = path.join(PROJECT_ROOT, 'test', 'security', 'fixtures', 'engine-child.ts');
const DIR_FD = 20;
const FILE_FD = 21;

/**
 * Goes through every open fd: reads files, lists directories and what is above them, reads the secret,
 * and tries to create DROPPED next to each directory it holds.
 */
const SNOOPERS: Record<Lang, string> = {
  python: `
import os
for fd in sorted(os.listdir("/proc/self/fd"), key=int):
    p = "/proc/self/fd/" + fd
    try:
        print("FD", fd, os.readlink(p))
    except OSError:
        continue
    for q in (p, p + "/secret.txt", p + "/../../../../../../etc/hostname"):
        try:
            if not os.path.isfile(q):
                continue  # never block on a pipe or socket
            with open(q, "rb") as f:
                print("READ", q, f.read(4096).decode("latin1"))
        except OSError:
            pass
    try:
        print("LIST", p, sorted(os.listdir(p + "/../../../../../..")))
        with open(p + "/../DROPPED", "w") as f:
            f.write("escaped")
    except OSError:
        pass
print("SNOOP-DONE")
`,
  javascript: `
const fs = require('fs');
for (const fd of fs.readdirSync('/proc/self/fd')) {
  const p = '/proc/self/fd/' + fd;
  try { console.log('FD', fd, fs.readlinkSync(p)); } catch { continue; }
  for (const q of [p, p + '/secret.txt', p + '/../../../../../../etc/hostname']) {
    try {
      if (fs.statSync(q).isFile()) console.log('READ', q, fs.readFileSync(q, 'latin1').slice(0, 4096));
    } catch {}
  }
  try {
    console.log('LIST', p, fs.readdirSync(p + '/../../../../../..').sort().join(' '));
    fs.writeFileSync(p + '/../DROPPED', 'escaped');
  } catch {}
}
console.log('SNOOP-DONE');
`,
  bash: `
for p in /proc/self/fd/*; do
  echo "FD $p $(readlink "$p")"
  for q in "$p" "$p/secret.txt" "$p/../../../../../../etc/hostname"; do
    [[ -f $q ]] && echo "READ $q $(head -c 4096 "$q")"
  done
  [[ -d $p/../../../../../.. ]] && echo "LIST $p $(ls -A "$p/../../../../../..")" && echo escaped > "$p/../DROPPED"
done 2>/dev/null
echo SNOOP-DONE
`,
};

let engine: Engine;
let secretDir = '';
let secretFile = '';
const SECRET = token('FD-SECRET-');

beforeAll(async () => {
  engine = await newEngine();
  secretDir = hostTempDir('scriptbox-fd-secret-');
  secretFile = plantSecret(path.join(secretDir, 'secret.txt'), SECRET);
});

afterAll(async () => {
  await engine?.close();
  fs.rmSync(secretDir, { recursive: true, force: true });
});

/** Runs `source` through an engine in a child process that inherited a dir fd and a file fd. */
async function runWithLeakedFds(lang: Lang, source: string): Promise<RunResult> {
  const dirFd = fs.openSync(secretDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const fileFd = fs.openSync(secretFile, 'r');
  try {
    const stdio: Array<'pipe' | 'ignore' | number> = ['pipe', 'pipe', 'pipe'];
    while (stdio.length <= FILE_FD) stdio.push('ignore');
    stdio[DIR_FD] = dirFd;
    stdio[FILE_FD] = fileFd;
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, lang], { cwd: PROJECT_ROOT, stdio });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin?.end(source);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const text = Buffer.concat(out).toString('utf8');
    expect(code, Buffer.concat(err).toString('utf8')).toBe(0);
    return JSON.parse(text) as RunResult;
  } finally {
    fs.closeSync(dirFd);
    fs.closeSync(fileFd);
  }
}

describe.each(LANGS)('inherited host file descriptors (%s)', (lang) => {
  it('a host directory fd and a host file fd left open (no close-on-exec) by the embedding process do not reach the script', async () => {
    // The sandbox's host uid could read the secret: only the sandbox keeps it out.
    expect(readableBySandboxUid(secretFile)).toBe(true);
    const dropped = token('scriptbox-fd-dropped-');
    const droppedAt = path.join(path.dirname(secretDir), dropped);
    expect(writableBySandboxUid(path.dirname(secretDir))).toBe(true);
    const result = await runWithLeakedFds(lang, SNOOPERS[lang].replaceAll('DROPPED', dropped));
    const escapedWrite = fs.existsSync(droppedAt);
    fs.rmSync(droppedAt, { force: true });
    expect(result.stdout, result.stderr).toContain('SNOOP-DONE');
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stdout).not.toContain(secretDir);
    // The host root's listing (the sandbox's own root has no such entries).
    expect(result.stdout).not.toMatch(/\bLIST .*\b(home|root|var|boot)\b/);
    // Nothing was created on the host next to the leaked directory.
    expect(escapedWrite, `${droppedAt} was created on the host`).toBe(false);
  });
});

describe('inherited file descriptors in this very process (python)', () => {
  it('the script has no open fds besides stdin, stdout and stderr', async () => {
    const result = await run(engine, {
      language: 'python',
      source: `
import os
fds = os.listdir("/proc/self/fd")
for fd in sorted(fds, key=int):
    try:
        print("FD", fd, os.readlink("/proc/self/fd/" + fd))
    except OSError:
        pass
print("FDS-DONE")
`,
    });
    expect(result.stdout).toContain('FDS-DONE');
    const fds = [...result.stdout.matchAll(/^FD (\d+) /gm)].map((m) => Number(m[1]));
    // listdir's own directory fd is closed by the time readlink runs, so it is not printed.
    expect(fds, result.stdout).toEqual([0, 1, 2]);
  });
});
