/**
 * Attack class: files planted in out/ for the host to read back (Judge0 CVE-2024-28185/28189 style).
 * Absolute and relative symlinks to /etc/passwd and to a host secret, directory symlinks, out/ itself
 * replaced by a symlink, hard links, a FIFO and a socket, setuid bits, a sparse 1 TiB file, a file flood,
 * and names that collide with symlinks already in the host's outDir.
 * Host-side assertions (run with `outDir` on the host): the secret and the host's /etc/passwd never land
 * in outDir, outDir holds only regular files and directories, nothing outside outDir is created or
 * changed, and the run does not hang.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import {
  hostTempDir,
  LANGS,
  newEngine,
  plantSecret,
  readableBySandboxUid,
  readTree,
  run,
  token,
  type Lang,
  type RunInput,
} from './support.js';

/** stdin: `<host secret path> <host target path>`. Plants every kind of link in out/, plus one real file. */
const PLANTERS: Record<Lang, string> = {
  python: `
import os, sys
secret, target = sys.stdin.read().split()
links = {
    "abs-passwd": "/etc/passwd",
    "abs-secret": secret,
    "rel-passwd": "../../../../../../etc/passwd",
    "rel-secret": "../../../../../.." + secret,
    "proc-root": "/proc/1/root/etc/passwd",
    "write-through": target,
    "dir-root": "/",
    "dir-secret": os.path.dirname(secret),
    "dir-etc": "../../../../etc",
    "sub/deep": "/etc/passwd",
    "sub/deeper/dir": "/",
}
for name, dest in links.items():
    os.makedirs(os.path.dirname("out/" + name) or "out", exist_ok=True)
    os.symlink(dest, "out/" + name)
for name in ("..a", " ", "a\\nb", "\\\\", "-rf"):
    with open("out/" + name, "w") as f:
        f.write("odd name")
with open("out/ok.txt", "w") as f:
    f.write("fine")
print("PLANTED")
`,
  javascript: `
const fs = require('fs');
const path = require('path');
const [secret, target] = fs.readFileSync(0, 'utf8').split(/\\s+/);
const links = {
  'abs-passwd': '/etc/passwd',
  'abs-secret': secret,
  'rel-passwd': '../../../../../../etc/passwd',
  'rel-secret': '../../../../../..' + secret,
  'proc-root': '/proc/1/root/etc/passwd',
  'write-through': target,
  'dir-root': '/',
  'dir-secret': path.dirname(secret),
  'dir-etc': '../../../../etc',
  'sub/deep': '/etc/passwd',
  'sub/deeper/dir': '/',
};
for (const [name, dest] of Object.entries(links)) {
  fs.mkdirSync(path.dirname('out/' + name), { recursive: true });
  fs.symlinkSync(dest, 'out/' + name);
}
for (const name of ['..a', ' ', 'a\\nb', '\\\\', '-rf']) fs.writeFileSync('out/' + name, 'odd name');
fs.writeFileSync('out/ok.txt', 'fine');
console.log('PLANTED');
`,
  bash: `
read -r secret target
mkdir -p out/sub/deeper
ln -s /etc/passwd out/abs-passwd
ln -s "$secret" out/abs-secret
ln -s ../../../../../../etc/passwd out/rel-passwd
ln -s "../../../../../..$secret" out/rel-secret
ln -s /proc/1/root/etc/passwd out/proc-root
ln -s "$target" out/write-through
ln -s / out/dir-root
ln -s "$(dirname "$secret")" out/dir-secret
ln -s ../../../../etc out/dir-etc
ln -s /etc/passwd out/sub/deep
ln -s / out/sub/deeper/dir
for name in ..a ' ' $'a\\nb' '\\\\' -rf; do echo 'odd name' > "out/$name"; done
echo fine > out/ok.txt
echo PLANTED
`,
};

/** stdin: `<host secret path> <host target path>`. Replaces out/ itself with a symlink. */
const OUT_IS_LINK: Record<Lang, string> = {
  python: `
import os, shutil, sys
secret, target = sys.stdin.read().split()
os.rmdir("out")
os.symlink(os.path.dirname(secret), "out")
print("PLANTED")
`,
  javascript: `
const fs = require('fs');
const [secret] = fs.readFileSync(0, 'utf8').split(/\\s+/);
fs.rmdirSync('out');
fs.symlinkSync(require('path').dirname(secret), 'out');
console.log('PLANTED');
`,
  bash: `
read -r secret target
rmdir out && ln -s "$(dirname "$secret")" out && echo PLANTED
`,
};

let engine: Engine;
const cleanup: string[] = [];
const SECRET = token('OUT-SECRET-');
const ORIGINAL = 'HOST TARGET ORIGINAL\n';
let secretDir = '';
let secretFile = '';
let hostPasswdLines: string[] = [];

beforeAll(async () => {
  engine = await newEngine();
  secretDir = hostTempDir('scriptbox-out-secret-');
  cleanup.push(secretDir);
  secretFile = plantSecret(path.join(secretDir, 'secret.txt'), SECRET);
  // Lines of the host's /etc/passwd that the sandbox's own synthetic /etc/passwd does not have.
  hostPasswdLines = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .filter((line) => /^(daemon|bin|sys|sync|games|man|mail|www-data|_apt):/.test(line));
});

afterAll(async () => {
  await engine?.close();
  for (const p of cleanup) fs.rmSync(p, { recursive: true, force: true });
});

interface Scene {
  parent: string;
  outDir: string;
  target: string;
}

/** A fresh host parent dir holding outDir and a world-writable target file a write-through would hit. */
function scene(): Scene {
  const parent = hostTempDir('scriptbox-out-');
  cleanup.push(parent);
  const target = path.join(hostTempDir('scriptbox-out-target-', undefined, 0o777), 'target.txt');
  cleanup.push(path.dirname(target));
  fs.writeFileSync(target, ORIGINAL, { mode: 0o666 });
  fs.chmodSync(target, 0o666);
  return { parent, outDir: path.join(parent, 'out'), target };
}

async function runIn(s: Scene, opts: Omit<RunInput, 'outDir'>): Promise<Awaited<ReturnType<typeof run>>> {
  const result = await run(engine, {
    stdin: `${secretFile} ${s.target}\n`,
    ...opts,
    limits: { timeoutMs: 5_000, ...opts.limits },
    outDir: s.outDir,
  });
  // Neither the script nor the host's collection hung on anything it planted.
  expect(result.error?.kind).not.toBe('timeout');
  expect(result.hostWallMs).toBeLessThan(4_500);
  return result;
}

/** What must hold after every scene. */
function expectNothingEscaped(s: Scene): void {
  const tree = readTree(s.outDir);
  for (const entry of tree) {
    expect(['file', 'dir'], `${entry.rel} is a ${entry.kind}`).toContain(entry.kind);
    expect(entry.content ?? '').not.toContain(SECRET);
    for (const line of hostPasswdLines) expect(entry.content ?? '').not.toContain(line);
    expect(entry.mode & 0o7000, `${entry.rel} has special mode bits`).toBe(0);
  }
  expect(fs.readdirSync(s.parent).filter((name) => name !== 'out')).toEqual([]);
  expect(fs.readFileSync(s.target, 'utf8')).toBe(ORIGINAL);
  expect(fs.readdirSync(path.dirname(s.target))).toEqual(['target.txt']);
  expect(fs.readFileSync(secretFile, 'utf8')).toBe(`${SECRET}\n`);
  expect(fs.readdirSync(secretDir)).toEqual(['secret.txt']);
}

describe.each(LANGS)('files planted in out/ (%s)', (lang) => {
  it('symlinks (absolute, relative, /proc, to a host secret, to directories) are never followed', async () => {
    expect(readableBySandboxUid(secretFile)).toBe(true);
    expect(hostPasswdLines.length).toBeGreaterThan(0);
    const s = scene();
    const result = await runIn(s, { language: lang, source: PLANTERS[lang] });
    expect(result.stdout, result.stderr).toContain('PLANTED');
    expect(result.ok).toBe(true);
    // Control: collection works, the real file came back.
    expect(fs.readFileSync(path.join(s.outDir, 'ok.txt'), 'utf8').trim()).toBe('fine');
    const names = result.files.map((f) => f.path);
    for (const link of ['abs-passwd', 'abs-secret', 'rel-secret', 'write-through', 'dir-root', 'sub/deep']) {
      expect(names).not.toContain(link);
      expect(fs.existsSync(path.join(s.outDir, link))).toBe(false);
    }
    expectNothingEscaped(s);
  });

  it('out/ itself replaced by a symlink to a host directory brings nothing back', async () => {
    const s = scene();
    const result = await runIn(s, { language: lang, source: OUT_IS_LINK[lang] });
    expect(result.stdout, result.stderr).toContain('PLANTED');
    expect(result.files).toEqual([]);
    expect(readTree(s.outDir)).toEqual([]);
    expectNothingEscaped(s);
  });
});

describe('files planted in out/ (python only)', () => {
  it('hard links to files outside the work dir cannot be made (EXDEV), own hard links come back as copies', async () => {
    const s = scene();
    const result = await runIn(s, {
      language: 'python',
      source: `
import os
with open("out/own.txt", "w") as f:
    f.write("own")
for src in ("/etc/passwd", "/.scriptbox/python.py", "/usr/bin/env", "/etc/ld.so.cache", "/work/main.py", "out/own.txt"):
    try:
        os.link(src, "out/hl-" + os.path.basename(src))
        print("LINKED", src)
    except OSError as e:
        print("NOLINK", src, e.errno)
print("PLANTED")
`,
    });
    expect(result.stdout).toContain('PLANTED');
    expect(result.stdout).toMatch(/NOLINK \/etc\/passwd/);
    expect(result.stdout).toMatch(/NOLINK \/usr\/bin\/env/);
    const tree = readTree(s.outDir);
    expect(tree.find((e) => e.rel === 'hl-own.txt')?.content).toBe('own');
    // Copies are independent files on the host, never links to each other.
    expect(fs.statSync(path.join(s.outDir, 'own.txt')).nlink).toBe(1);
    expectNothingEscaped(s);
  });

  it('a FIFO, a unix socket and a fifo named like a regular file do not hang or leak', async () => {
    const s = scene();
    const result = await runIn(s, {
      language: 'python',
      source: `
import os, socket
os.mkfifo("out/fifo")
os.mkfifo("out/data.csv")
os.makedirs("out/sub")
os.mkfifo("out/sub/pipe")
sock = socket.socket(socket.AF_UNIX)
sock.bind("out/sock")
with open("out/ok.txt", "w") as f:
    f.write("fine")
print("PLANTED")
`,
    });
    expect(result.stdout).toContain('PLANTED');
    expect(result.files.map((f) => f.path)).toEqual(['ok.txt']);
    expect(readTree(s.outDir).map((e) => e.rel)).toEqual(['ok.txt']);
    expectNothingEscaped(s);
  });

  it('setuid/setgid/sticky bits on out/ files do not survive the copy to the host', async () => {
    const s = scene();
    const result = await runIn(s, {
      language: 'python',
      source: `
import os, shutil
shutil.copy("/usr/bin/env", "out/suid-env")
os.chmod("out/suid-env", 0o6755)
with open("out/sticky", "w") as f:
    f.write("x")
os.chmod("out/sticky", 0o1777)
print("PLANTED", oct(os.stat("out/suid-env").st_mode))
`,
    });
    expect(result.stdout).toContain('PLANTED 0o106755');
    const copied = fs.statSync(path.join(s.outDir, 'suid-env'));
    expect(copied.mode & 0o7000).toBe(0);
    expectNothingEscaped(s);
  });

  it('a sparse 1 TiB file and a flood of files are capped by maxOutBytes / maxOutFiles', async () => {
    const s = scene();
    const result = await runIn(s, {
      language: 'python',
      source: `
import os
with open("out/huge", "wb") as f:
    f.truncate(1 << 40)
os.makedirs("out/many")
for i in range(2000):
    with open("out/many/%05d" % i, "w") as f:
        f.write("x")
print("PLANTED", os.stat("out/huge").st_size)
`,
      limits: { maxOutBytes: 1_048_576, maxOutFiles: 50 },
    });
    expect(result.stdout).toContain(`PLANTED ${2 ** 40}`);
    expect(result.files.map((f) => f.path)).not.toContain('huge');
    expect(result.files.length).toBeLessThanOrEqual(50);
    const tree = readTree(s.outDir);
    expect(tree.filter((e) => e.kind === 'file').length).toBeLessThanOrEqual(50);
    expect(fs.existsSync(path.join(s.outDir, 'huge'))).toBe(false);
    expectNothingEscaped(s);
  });

  it("names colliding with symlinks already in the host's outDir are not written through", async () => {
    const s = scene();
    const victimDir = hostTempDir('scriptbox-out-victimdir-', undefined, 0o777);
    cleanup.push(victimDir);
    fs.mkdirSync(s.outDir);
    fs.symlinkSync(s.target, path.join(s.outDir, 'evil.txt'));
    fs.symlinkSync(victimDir, path.join(s.outDir, 'evildir'));
    const result = await runIn(s, {
      language: 'python',
      source: `
import os
os.makedirs("out/evildir")
for p in ("out/evil.txt", "out/evildir/x.txt"):
    with open(p, "w") as f:
        f.write("PWNED")
print("PLANTED")
`,
    });
    expect(result.stdout).toContain('PLANTED');
    expect(fs.readFileSync(s.target, 'utf8')).toBe(ORIGINAL);
    expect(fs.readdirSync(victimDir)).toEqual([]);
    expect(fs.readlinkSync(path.join(s.outDir, 'evil.txt'))).toBe(s.target);
    expect(fs.readlinkSync(path.join(s.outDir, 'evildir'))).toBe(victimDir);
  });
});
