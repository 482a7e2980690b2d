/**
 * Attack class: reading host files. Secrets are planted on the host (project dir, host temp dir, home),
 * plus /etc/shadow and the project's package.json; a reader script tries direct paths, ../ traversal
 * from /work, /proc/self/root, /proc/1/root, /proc/<host pid>/root and /cwd, and directory listings.
 * Host-side assertion: no secret byte (nor a planted file's name) reaches stdout, stderr or out/ files.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import {
  everythingOut,
  hostTempDir,
  LANGS,
  newEngine,
  plantSecret,
  PROJECT_ROOT,
  readableBySandboxUid,
  run,
  spawnVictim,
  stopVictim,
  token,
  type Lang,
} from './support.js';

/** Reads every `F <path>` and lists every `D <path>` given on stdin; prints and saves what it got. */
const READERS: Record<Lang, string> = {
  python: `
import os, sys
loot = []
for line in sys.stdin.read().splitlines():
    kind, _, p = line.partition(" ")
    try:
        if kind == "F":
            with open(p, "rb") as f:
                loot.append("FILE " + f.read(1 << 20).decode("latin1"))
        elif kind == "D":
            loot.append("DIR " + " ".join(sorted(os.listdir(p))))
    except Exception:
        pass
print("\\n".join(loot))
try:
    with open("out/loot.txt", "w", encoding="latin1") as f:
        f.write("\\n".join(loot))
except Exception:
    pass
print("READER-DONE")
`,
  javascript: `
const fs = require('fs');
const loot = [];
for (const line of fs.readFileSync(0, 'utf8').split('\\n')) {
  const kind = line.slice(0, 1);
  const p = line.slice(2);
  try {
    if (kind === 'F') loot.push('FILE ' + fs.readFileSync(p, 'latin1'));
    else if (kind === 'D') loot.push('DIR ' + fs.readdirSync(p).sort().join(' '));
  } catch {}
}
console.log(loot.join('\\n'));
try { fs.writeFileSync('out/loot.txt', loot.join('\\n')); } catch {}
console.log('READER-DONE');
`,
  bash: `
while IFS= read -r line; do
  kind=\${line%% *}
  p=\${line#* }
  case $kind in
    F) c=$(cat -- "$p" 2>/dev/null) && printf 'FILE %s\\n' "$c" ;;
    D) c=$(ls -A -- "$p" 2>/dev/null) && printf 'DIR %s\\n' "$c" ;;
  esac
done > out/loot.txt 2>/dev/null
cat out/loot.txt
echo READER-DONE
`,
};

let engine: Engine;
let victim: ChildProcess;
const cleanup: string[] = [];
const secrets = {
  project: { dir: '', file: '', content: token('PROJECT-SECRET-') },
  tmp: { dir: '', file: '', content: token('TMP-SECRET-') },
  home: { dir: '', file: '', content: token('HOME-SECRET-') },
};
let shadowLines: string[] = [];
let packageDescription = '';

beforeAll(async () => {
  engine = await newEngine({ sameUidAsVictims: true });
  secrets.project.dir = hostTempDir('.secret-read-', path.join(PROJECT_ROOT, 'test', 'security'));
  secrets.tmp.dir = hostTempDir('scriptbox-secret-read-');
  secrets.home.dir = os.homedir();
  cleanup.push(secrets.project.dir, secrets.tmp.dir);
  for (const secret of Object.values(secrets)) {
    secret.file = plantSecret(path.join(secret.dir, token('.scriptbox-secret-')), secret.content);
  }
  cleanup.push(secrets.home.file);
  shadowLines = fs
    .readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .filter((line) => line.length > 8);
  packageDescription = (
    JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      description: string;
    }
  ).description;
  victim = await spawnVictim(token('VICTIM-'));
});

afterAll(async () => {
  await engine?.close();
  await stopVictim(victim);
  for (const p of cleanup) fs.rmSync(p, { recursive: true, force: true });
});

/** Every way we know to name the host path `p` from inside the sandbox. */
function routesTo(p: string): string[] {
  const rel = p.replace(/^\/+/, '');
  const hostPids = [process.pid, victim.pid ?? 0, process.ppid, 1];
  const cwdRel = path.relative(process.cwd(), p);
  return [
    p,
    `/work/../../../../${rel}`,
    `../../../../../${rel}`,
    `/proc/self/root/${rel}`,
    `/proc/thread-self/root/${rel}`,
    `/proc/self/cwd/../../../../${rel}`,
    ...Array.from({ length: 16 }, (_, i) => `/proc/${i + 1}/root/${rel}`),
    ...hostPids.flatMap((pid) => [`/proc/${pid}/root/${rel}`, `/proc/${pid}/cwd/${cwdRel}`]),
    `/dev/fd/../root/${rel}`,
  ];
}

/** The control's precondition, as a failure message: otherwise these tests could not fail. */
const CHECKOUT_REACHABLE =
  'the checkout must be readable by a sandbox uid (VICTIM_UID) (its parents world-searchable): clone it outside /root';

/** What a script finds at `file`: EXISTS, or the errno of stat (ENOENT when the path is not there). */
async function lookUp(lang: Lang, file: string): Promise<string> {
  const sources: Record<Lang, string> = {
    python: `import errno, os\ntry:\n    os.stat(${JSON.stringify(file)})\n    print("EXISTS")\nexcept OSError as err:\n    print(errno.errorcode[err.errno])`,
    javascript: `try { require("fs").statSync(${JSON.stringify(file)}); console.log("EXISTS"); } catch (err) { console.log(err.code); }`,
    bash: `if out=$(stat -- '${file}' 2>&1); then echo EXISTS; else case "$out" in *"No such file"*) echo ENOENT;; *"Permission denied"*) echo EACCES;; *) echo "$out";; esac; fi`,
  };
  const result = await run(engine, { language: lang, source: sources[lang] });
  return result.stdout.trim();
}

async function attack(lang: Lang, files: string[], dirs: string[] = []): Promise<string> {
  const outDir = hostTempDir('scriptbox-read-out-');
  cleanup.push(outDir);
  const stdin = [...files.map((f) => `F ${f}`), ...dirs.map((d) => `D ${d}`)].join('\n') + '\n';
  const result = await run(engine, { language: lang, source: READERS[lang], stdin, outDir });
  // The attack really ran to its end: the test is not passing because the reader never started.
  expect(result.stdout, result.stderr).toContain('READER-DONE');
  return everythingOut(result, outDir);
}

describe.each(LANGS)('reading host files (%s)', (lang) => {
  it('cannot read a secret planted in the project directory (direct, ../ traversal, /proc/*/root, /proc/*/cwd)', async () => {
    expect(readableBySandboxUid(secrets.project.file), CHECKOUT_REACHABLE).toBe(true);
    const loot = await attack(lang, routesTo(secrets.project.file));
    expect(loot).not.toContain(secrets.project.content);
  });

  it('cannot read a secret planted in the host temp dir', async () => {
    expect(readableBySandboxUid(secrets.tmp.file)).toBe(true);
    const loot = await attack(lang, routesTo(secrets.tmp.file));
    expect(loot).not.toContain(secrets.tmp.content);
  });

  it("cannot read a secret planted in the host user's home directory", async () => {
    const loot = await attack(lang, routesTo(secrets.home.file));
    expect(loot).not.toContain(secrets.home.content);
  });

  it('cannot read /etc/shadow', async () => {
    expect(shadowLines.length).toBeGreaterThan(0);
    const loot = await attack(lang, routesTo('/etc/shadow'));
    for (const line of shadowLines) expect(loot).not.toContain(line);
  });

  it("cannot read the project's package.json (the project is never mounted)", async () => {
    const packageJson = path.join(PROJECT_ROOT, 'package.json');
    // Not there at all, not merely unreadable: this holds wherever the checkout lives, even where its
    // directories would bar the sandbox's uid (a clone under /root).
    expect(await lookUp(lang, packageJson)).toBe('ENOENT');
    expect(await lookUp(lang, '/etc/passwd')).toBe('EXISTS'); // control: the probe sees what is there
    const loot = await attack(lang, routesTo(packageJson));
    expect(loot).not.toContain(packageDescription);
  });

  it('cannot list the project, host temp, home or /root directories', async () => {
    const dirs = [secrets.project.dir, secrets.tmp.dir, secrets.home.dir, '/root', PROJECT_ROOT].flatMap(
      routesTo,
    );
    const loot = await attack(lang, [], dirs);
    for (const secret of Object.values(secrets)) expect(loot).not.toContain(path.basename(secret.file));
    // Names that exist in the project root but nowhere in the sandbox.
    expect(loot).not.toContain('package-lock.json');
    expect(loot).not.toContain('vitest.config.ts');
  });
});
