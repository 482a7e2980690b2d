/**
 * Attack class: writing host files. The script tries to create, overwrite, append to, delete, mkdir in
 * and plant symlinks in world-writable host directories (host temp dir, project dir), in /usr (a module
 * later runs would import), /etc and the home dir, through direct paths, ../ traversal and /proc/<pid>/root.
 * Host-side assertion: every host directory and file is exactly as before; nothing was created.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import {
  hostTempDir,
  LANGS,
  newEngine,
  PROJECT_ROOT,
  readTree,
  run,
  spawnVictim,
  stopVictim,
  token,
  writableBySandboxUid,
  type Lang,
} from './support.js';

/**
 * For each stdin line `<op> <path>`: W write, A append, U unlink, M mkdir, L symlink to /etc/passwd,
 * E print `EXISTS <path>` when the path exists.
 */
const WRITERS: Record<Lang, string> = {
  python: `
import os, sys
for line in sys.stdin.read().splitlines():
    op, _, p = line.partition(" ")
    try:
        if op == "W":
            with open(p, "w") as f: f.write("PWNED\\n")
        elif op == "A":
            with open(p, "a") as f: f.write("PWNED\\n")
        elif op == "U":
            os.unlink(p)
        elif op == "M":
            os.mkdir(p)
        elif op == "L":
            os.symlink("/etc/passwd", p)
        elif op == "E" and os.path.exists(p):
            print("EXISTS " + p)
    except Exception:
        pass
print("WRITER-DONE")
`,
  javascript: `
const fs = require('fs');
for (const line of fs.readFileSync(0, 'utf8').split('\\n')) {
  const op = line.slice(0, 1);
  const p = line.slice(2);
  try {
    if (op === 'W') fs.writeFileSync(p, 'PWNED\\n');
    else if (op === 'A') fs.appendFileSync(p, 'PWNED\\n');
    else if (op === 'U') fs.unlinkSync(p);
    else if (op === 'M') fs.mkdirSync(p);
    else if (op === 'L') fs.symlinkSync('/etc/passwd', p);
    else if (op === 'E' && fs.existsSync(p)) console.log('EXISTS ' + p);
  } catch {}
}
console.log('WRITER-DONE');
`,
  bash: `
while IFS= read -r line; do
  op=\${line%% *}
  p=\${line#* }
  case $op in
    W) echo PWNED > "$p" ;;
    A) echo PWNED >> "$p" ;;
    U) rm -f -- "$p" ;;
    M) mkdir -- "$p" ;;
    L) ln -s /etc/passwd "$p" ;;
    E) [[ -e $p ]] && echo "EXISTS $p" ;;
  esac
done 2>/dev/null
echo WRITER-DONE
`,
};

let engine: Engine;
let victim: ChildProcess;
const cleanup: string[] = [];
const ORIGINAL = 'ORIGINAL CONTENT\n';
/** World-writable host dirs: only the sandbox, not permissions, stops the script writing there. */
const targets = { tmp: '', project: '' };

beforeAll(async () => {
  engine = await newEngine({ sameUidAsVictims: true });
  targets.tmp = hostTempDir('scriptbox-write-', os.tmpdir(), 0o777);
  targets.project = hostTempDir('.write-', path.join(PROJECT_ROOT, 'test', 'security'), 0o777);
  cleanup.push(targets.tmp, targets.project);
  victim = await spawnVictim(token('VICTIM-'));
});

afterAll(async () => {
  await engine?.close();
  await stopVictim(victim);
  for (const p of cleanup) fs.rmSync(p, { recursive: true, force: true });
});

function routesTo(p: string): string[] {
  const rel = p.replace(/^\/+/, '');
  return [
    p,
    `/work/../../../../${rel}`,
    `../../../../../${rel}`,
    `/proc/self/root/${rel}`,
    `/proc/1/root/${rel}`,
    `/proc/2/root/${rel}`,
    `/proc/${victim.pid ?? 0}/root/${rel}`,
    `/proc/${process.pid}/root/${rel}`,
    `/proc/${process.pid}/cwd/${path.relative(process.cwd(), p)}`,
  ];
}

/** Every write attack against the existing `file` and new names in its directory. */
function attacksOn(dir: string): string[] {
  const existing = path.join(dir, 'existing.txt');
  const lines: string[] = [];
  for (const route of routesTo(existing)) lines.push(`W ${route}`, `A ${route}`);
  for (const route of routesTo(path.join(dir, 'created.txt'))) lines.push(`W ${route}`);
  for (const route of routesTo(path.join(dir, 'newdir'))) lines.push(`M ${route}`);
  for (const route of routesTo(path.join(dir, 'link'))) lines.push(`L ${route}`);
  for (const route of routesTo(existing)) lines.push(`U ${route}`);
  return lines;
}

async function attack(lang: Lang, lines: string[]): Promise<string> {
  const result = await run(engine, { language: lang, source: WRITERS[lang], stdin: lines.join('\n') + '\n' });
  expect(result.stdout, result.stderr).toContain('WRITER-DONE');
  return result.stdout;
}

function freshVictimFile(dir: string): string {
  for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  const file = path.join(dir, 'existing.txt');
  fs.writeFileSync(file, ORIGINAL, { mode: 0o666 });
  fs.chmodSync(file, 0o666);
  return file;
}

describe.each(LANGS)('writing host files (%s)', (lang) => {
  for (const where of ['tmp', 'project'] as const) {
    it(`cannot create, overwrite, append to, delete or symlink in a world-writable ${where} directory`, async () => {
      const dir = targets[where];
      const file = freshVictimFile(dir);
      const before = fs.statSync(file);
      // Otherwise the test could not fail: the checkout's parents must be world-searchable (not /root).
      expect(writableBySandboxUid(dir), `a sandbox uid must be able to write in ${dir}`).toBe(true);
      await attack(lang, attacksOn(dir));
      expect(readTree(dir).map((e) => [e.rel, e.kind])).toEqual([['existing.txt', 'file']]);
      expect(fs.readFileSync(file, 'utf8')).toBe(ORIGINAL);
      const after = fs.statSync(file);
      expect([after.ino, after.mtimeMs, after.mode]).toEqual([before.ino, before.mtimeMs, before.mode]);
    });
  }

  it('cannot create files in /usr (e.g. a python module later runs would import), /etc, /root or the home dir', async () => {
    const name = token('scriptbox-planted-');
    const places = [
      `/usr/${name}`,
      `/usr/lib/python3/dist-packages/${name}.py`,
      `/usr/local/lib/${name}`,
      `/etc/${name}`,
      `/root/${name}`,
      path.join(os.homedir(), name),
      `/${name}`,
      `/var/tmp/${name}`,
      `/dev/shm/../../tmp/${name}`,
    ];
    await attack(
      lang,
      places.flatMap((p) => [
        ...routesTo(p).map((r) => `W ${r}`),
        ...routesTo(`${p}.d`).map((r) => `M ${r}`),
      ]),
    );
    for (const p of places) {
      expect(fs.existsSync(p), p).toBe(false);
      expect(fs.existsSync(`${p}.d`), `${p}.d`).toBe(false);
    }
    expect(fs.existsSync(path.join(os.tmpdir(), name))).toBe(false);
  });

  it('cannot overwrite host binaries or config it can see read-only (/usr/bin, /etc/ld.so.cache, runner)', async () => {
    const watched = ['/usr/bin/env', '/etc/ld.so.cache', '/usr/lib/os-release'].filter((p) =>
      fs.existsSync(p),
    );
    const before = watched.map((p) => fs.readFileSync(p).toString('base64'));
    const lines = [...watched, '/.scriptbox/python.py', '/.scriptbox/exec.sh'].flatMap((p) => [
      `W ${p}`,
      `A ${p}`,
      `U ${p}`,
    ]);
    await attack(lang, lines);
    expect(watched.map((p) => fs.readFileSync(p).toString('base64'))).toEqual(before);
  });
});

describe.each(LANGS)('state persisting across runs (%s)', (lang) => {
  it('cannot leave files in /work, /tmp or /dev/shm for the next run', async () => {
    const name = token('persist-');
    const places = [`/work/${name}`, `/tmp/${name}`, `/dev/shm/${name}`, `/work/out/${name}`];
    const first = await attack(lang, [...places.map((p) => `W ${p}`), ...places.map((p) => `E ${p}`)]);
    // The writes worked inside the first sandbox, so their absence below is the sandbox's doing.
    for (const p of places) expect(first).toContain(`EXISTS ${p}`);
    const probe = await run(engine, {
      language: 'python',
      source: `import os\nfor p in ${JSON.stringify(places)}:\n    print(p, os.path.exists(p))\nprint("PROBE-DONE")`,
    });
    expect(probe.stdout).toContain('PROBE-DONE');
    for (const p of places) expect(probe.stdout).toContain(`${p} False`);
  });
});
