/**
 * Self-test checks for the host uids of sandboxes (SCRIPTBOX_SANDBOX_UIDS): one uid per live sandbox when
 * root, from a range no account, group or subordinate range uses, mapped in this user namespace, and one
 * bwrap can start as.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findExecutable } from './executable.js';
import type { SandboxOpts } from './options.js';
import { check, messageOf, type SelfTestCheck } from './self-test-check.js';
import {
  accountsInRange,
  DEFAULT_SANDBOX_UIDS,
  formatUidRange,
  rangeMapped,
  subordinateOverlaps,
  UidPool,
  uidRangeSize,
  type HostUid,
  type UidRange,
} from './uid-pool.js';

const RANGE_FIX =
  'set SCRIPTBOX_SANDBOX_UIDS=first-last to host uids no account, group or subordinate range uses ' +
  `(default ${formatUidRange(DEFAULT_SANDBOX_UIDS)})`;

/** Host files whose ids must stay out of the sandbox uid range. */
export interface HostIdFiles {
  passwd: string;
  group: string;
  subuid: string;
  subgid: string;
}

export function readHostIdFiles(): HostIdFiles {
  return {
    passwd: readText('/etc/passwd'),
    group: readText('/etc/group'),
    subuid: readText('/etc/subuid'),
    subgid: readText('/etc/subgid'),
  };
}

/** What of the host already uses uids or gids of `range`, as `file: entries` (empty: nothing). */
export function rangeConflicts(range: UidRange, files: HostIdFiles): string[] {
  const found = [
    ['/etc/passwd', accountsInRange(files.passwd, range)],
    ['/etc/group', accountsInRange(files.group, range)],
    ['/etc/subuid', subordinateOverlaps(files.subuid, range)],
    ['/etc/subgid', subordinateOverlaps(files.subgid, range)],
  ] as const;
  return found
    .filter(([, entries]) => entries.length > 0)
    .map(
      ([file, entries]) => `${file}: ${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}`,
    );
}

/**
 * `uid per sandbox` (optional: runs still work, but share per-uid kernel state) and, when root,
 * `sandbox uids usable` (required: a run starts bwrap as one of these uids).
 */
export async function uidChecks(
  opts: SandboxOpts,
  isRoot = process.getuid?.() === 0,
  files: HostIdFiles = readHostIdFiles(),
): Promise<SelfTestCheck[]> {
  if (!isRoot) {
    return [
      check(
        'uid per sandbox',
        false,
        `unavailable, not root: every sandbox runs as uid ${process.getuid?.() ?? '?'} (the caller's), so ` +
          'they share per-uid kernel state (keyring quotas, inotify instances, RLIMIT_NPROC)',
        'run scriptbox as root: each live sandbox then gets a host uid of its own (SCRIPTBOX_SANDBOX_UIDS)',
        false,
      ),
    ];
  }
  const range = opts.uids;
  const text = formatUidRange(range);
  const conflicts = rangeConflicts(range, files);
  const perSandbox =
    uidRangeSize(range) === 1
      ? check(
          'uid per sandbox',
          false,
          `${text}: one host uid for every sandbox, so they share per-uid kernel state (keyring quotas, ` +
            'inotify instances, RLIMIT_NPROC)',
          RANGE_FIX,
          false,
        )
      : check(
          'uid per sandbox',
          conflicts.length === 0,
          conflicts.length === 0
            ? `${text}: ${uidRangeSize(range)} host uids, one per live sandbox (no account, group or ` +
                'subordinate range in /etc uses them)'
            : `${text} is already used on this host: ${conflicts.join('; ')}`,
          RANGE_FIX,
          false,
        );
  return [perSandbox, await usableCheck(opts.bwrapPath, range)];
}

async function usableCheck(bwrapName: string, range: UidRange): Promise<SelfTestCheck> {
  const name = 'sandbox uids usable';
  const maps = { uid: readText('/proc/self/uid_map'), gid: readText('/proc/self/gid_map') };
  if (!rangeMapped(maps.uid, range) || !rangeMapped(maps.gid, range)) {
    const shown = maps.uid.trim().split(/\s+/).join(' ');
    return check(
      name,
      false,
      `${formatUidRange(range)} is not mapped in this user namespace (/proc/self/uid_map: ${shown})`,
      'a container maps only part of the uids: set SCRIPTBOX_SANDBOX_UIDS to a range inside ' +
        '/proc/self/uid_map and gid_map',
    );
  }
  let bwrapPath: string;
  try {
    bwrapPath = findExecutable(bwrapName);
  } catch (err) {
    return check(name, false, `not checked: ${messageOf(err)}`, 'install bubblewrap first');
  }
  let taken: HostUid;
  try {
    taken = await new UidPool(range, undefined, { waitMs: 2_000 }).acquire();
  } catch (err) {
    return check(name, false, messageOf(err), RANGE_FIX);
  }
  try {
    await bwrapAs(bwrapPath, taken.uid);
    return check(name, true, `bwrap starts as host uid ${taken.uid} of ${formatUidRange(range)}`, '');
  } catch (err) {
    return check(
      name,
      false,
      `bwrap cannot start as host uid ${taken.uid}: ${messageOf(err)}`,
      'check that unprivileged users may create user namespaces (sysctl user.max_user_namespaces) and ' +
        `that uid ${taken.uid} may run ${bwrapPath}`,
    );
  } finally {
    taken.release();
  }
}

/** Runs `bwrap --unshare-all ... /bin/true` as `uid` (gid the same) with an empty environment. */
function bwrapAs(bwrapPath: string, uid: number): Promise<void> {
  const args = ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--', '/bin/true'];
  return new Promise((resolve, reject) => {
    execFile(bwrapPath, args, { uid, gid: uid, env: {}, timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve();
    });
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
