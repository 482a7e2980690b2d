/**
 * Shared helpers for the security catalogue. Every attack test asserts a HOST-side fact (a file, a
 * listener, a process, an environment variable on the host) rather than only that the script failed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createEngine,
  type Engine,
  type PartialLimits,
  type RunOpts,
  type RunResult,
} from '../../src/index.js';
import { readEnv } from '../../src/config.js';
import { resolveSandboxOpts, sandboxUidRange } from '../../src/engine/resolve-options.js';
import type { UidRange } from '../../src/sandbox/uid-pool.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const IS_ROOT = process.getuid?.() === 0;

/**
 * The host uids sandboxes run as, one per live sandbox (SCRIPTBOX_SANDBOX_UIDS, see
 * src/sandbox/uid-pool.ts); null when the tests do not run as root: every sandbox then has our own uid.
 */
export const SANDBOX_UIDS: UidRange | null = sandboxUidRange(resolveSandboxOpts({}, readEnv()));

/**
 * The host uid of victim processes, and of every sandbox of an engine made with
 * `newEngine({ sameUidAsVictims: true })` (a one-uid range): a victim then has the very uid of the
 * sandbox attacking it, so only the sandbox, not permissions, protects it. Outside the default range, so
 * no other engine ever hands it out. Like every sandbox uid, it owns no file and has no group: the file
 * system treats it as it treats any uid of SANDBOX_UIDS. Without root, our own uid.
 */
export const VICTIM_UID = IS_ROOT ? 2_000_100_000 : (process.getuid?.() ?? 0);

/** Languages every applicable attack is written in. */
export const LANGS = ['python', 'javascript', 'bash'] as const;
export type Lang = (typeof LANGS)[number];

/** Small limits: attacks must be stopped fast on two cores. */
export const SMALL_LIMITS: PartialLimits = {
  timeoutMs: 2_000,
  cpuMs: 2_000,
  memoryMb: 128,
  maxProcesses: 32,
  maxOutputBytes: 256 * 1024,
  diskMb: 8,
};

/** A random token that cannot appear anywhere by chance. */
export function token(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/**
 * An engine with SMALL_LIMITS. `sameUidAsVictims`: all its sandboxes run as VICTIM_UID (when root), for
 * attacks on host processes (spawnVictim) that permissions must not be what stops.
 */
export async function newEngine(opts: { sameUidAsVictims?: boolean } = {}): Promise<Engine> {
  const sameUid = opts.sameUidAsVictims === true && IS_ROOT;
  return createEngine({
    limits: SMALL_LIMITS,
    ...(sameUid ? { sandbox: { uids: { first: VICTIM_UID, last: VICTIM_UID } } } : {}),
  });
}

export type RunInput = Omit<RunOpts, 'limits' | 'signal'> & { limits?: PartialLimits };

/** Runs a script and returns the result plus the wall time the host itself measured. */
export async function run(engine: Engine, opts: RunInput): Promise<RunResult & { hostWallMs: number }> {
  const started = performance.now();
  const result = await engine.run({ ...opts, limits: { ...SMALL_LIMITS, ...opts.limits } });
  return { ...result, hostWallMs: performance.now() - started };
}

/** Everything a run let out: stdout, stderr, and (when given) every file under outDir. */
export function everythingOut(result: RunResult, outDir?: string): string {
  const parts = [result.stdout, result.stderr];
  if (outDir !== undefined) parts.push(...readTree(outDir).map((entry) => entry.content ?? ''));
  return parts.join('\n');
}

export interface TreeEntry {
  rel: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  content?: string;
}

/** Every entry under `root`, never following symlinks. */
export function readTree(root: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) entries.push({ rel, kind: 'symlink', mode: st.mode });
      else if (st.isDirectory()) {
        entries.push({ rel, kind: 'dir', mode: st.mode });
        walk(abs, rel);
      } else if (st.isFile()) {
        entries.push({ rel, kind: 'file', mode: st.mode, content: fs.readFileSync(abs, 'latin1') });
      } else entries.push({ rel, kind: 'other', mode: st.mode });
    }
  };
  if (fs.existsSync(root)) walk(root, '');
  return entries;
}

/** A host temp dir (world-traversable, so only the sandbox, not file permissions, keeps scripts out). */
export function hostTempDir(prefix: string, parent = os.tmpdir(), mode = 0o755): string {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  fs.chmodSync(dir, mode);
  return dir;
}

/** Writes a world-readable file with secret content on the host. */
export function plantSecret(file: string, secret: string, mode = 0o644): string {
  fs.writeFileSync(file, `${secret}\n`, { mode });
  fs.chmodSync(file, mode);
  return file;
}

/**
 * True when a host uid like the sandbox's (VICTIM_UID: it owns nothing and has no group, like every
 * sandbox uid) could read `file` if it could see it: proves the test's secret is protected by the sandbox
 * and not merely by file permissions.
 */
export function readableBySandboxUid(file: string): boolean {
  if (!IS_ROOT) return true; // the sandbox then has our own uid
  const res = spawnSync('/bin/cat', [file], { uid: VICTIM_UID, gid: VICTIM_UID, encoding: 'utf8' });
  return res.status === 0;
}

/** True when a host uid like the sandbox's could create a file in `dir` if it could see it. */
export function writableBySandboxUid(dir: string): boolean {
  if (!IS_ROOT) return true;
  const probe = path.join(dir, token('.probe-'));
  const res = spawnSync('/bin/sh', ['-c', 'echo x > "$1" && rm -f "$1"', 'sh', probe], {
    uid: VICTIM_UID,
    gid: VICTIM_UID,
  });
  return res.status === 0;
}

/** Host pids (other than ours) whose command line contains `marker`. */
export function hostPidsWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) found.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Runs `work` while sampling the host for processes with `marker`; returns its result and what was seen. */
export async function watchMarkerDuring<T>(
  marker: string,
  work: Promise<T>,
): Promise<{ result: T; seen: number }> {
  let done = false;
  let seen = 0;
  const sampler = (async () => {
    while (!done) {
      seen = Math.max(seen, hostPidsWithMarker(marker).length);
      await sleep(15);
    }
  })();
  try {
    return { result: await work, seen };
  } finally {
    done = true;
    await sampler;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Measures the host event loop's worst stall while a run is going on. */
export function watchEventLoop(): () => number {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 25);
  return () => {
    clearInterval(timer);
    return Math.max(worst, performance.now() - last);
  };
}

/** The host still starts processes and answers quickly. */
export function hostResponsive(): boolean {
  const started = performance.now();
  const res = spawnSync('/bin/true', [], { timeout: 5_000 });
  return res.status === 0 && performance.now() - started < 2_000;
}

/**
 * A host process owned by VICTIM_UID, the host uid of the sandboxes of `newEngine({ sameUidAsVictims:
 * true })` (so only the pid namespace, not permissions, protects it), with `marker` in its command line
 * and `env` in its environment. Resolves once it runs python.
 */
export async function spawnVictim(marker: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn('/usr/bin/python3', ['-c', 'import time\nwhile True: time.sleep(1)', marker], {
    stdio: 'ignore',
    env: { PATH: '/usr/bin:/bin', ...env },
    ...(IS_ROOT ? { uid: VICTIM_UID, gid: VICTIM_UID } : {}),
  });
  child.on('error', () => undefined);
  for (let i = 0; i < 200 && !hostPidsWithMarker(marker).includes(child.pid ?? -1); i++) await sleep(10);
  if (!hostPidsWithMarker(marker).includes(child.pid ?? -1)) throw new Error('victim process did not start');
  return child;
}

export function isAlive(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
  try {
    process.kill(child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function stopVictim(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Python literal / JSON string for embedding a value in a script. */
export const lit = (value: string): string => JSON.stringify(value);

/** Single-quoted bash word. */
export const sh = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
