/**
 * What out/ holds before a stateful session's run (out/ stays across its runs), so the run's result
 * collects only the files that run wrote or changed. Never follows a link: directories are entered by
 * their entries' own type, files identified by lstat (inode, size, change and modification times).
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';

const MAX_ENTRIES = 100_000;

export type OutSnapshot = ReadonlyMap<string, string>;

const identity = (st: BigIntStats): string => `${st.ino}:${st.size}:${st.ctimeNs}:${st.mtimeNs}`;

export async function snapshotOut(workDir: string): Promise<OutSnapshot> {
  const snapshot = new Map<string, string>();
  if (emptyOrMissing(`${workDir}/out`)) return snapshot; // (the usual case: no trip through the thread pool)
  const walk = async (prefix: string): Promise<void> => {
    const entries = await readdir(`${workDir}/out/${prefix}`, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (snapshot.size >= MAX_ENTRIES) return;
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory()) await walk(`${path}/`);
      else if (entry.isFile()) {
        const st = await lstat(`${workDir}/out/${path}`, { bigint: true }).catch(() => null);
        if (st?.isFile()) snapshot.set(path, identity(st));
      }
    }
  };
  await walk('');
  return snapshot;
}

/** Whether the out/ file at `path` (relative to out/) is new or changed since `before`. */
export const changedSince =
  (before: OutSnapshot) =>
  (path: string, st: BigIntStats): boolean =>
    before.get(path) !== identity(st);

/** True unless `dir` is a real directory (never a link to one: the host must not walk its own) with entries. */
function emptyOrMissing(dir: string): boolean {
  try {
    return !lstatSync(dir).isDirectory() || readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}
