/** Where this host mounts the cgroup controllers scriptbox needs (v1 and v2), read from /proc. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxUnavailableError } from '../errors.js';

export type CgroupVersion = 1 | 2;
export interface CgroupLocation {
  version: CgroupVersion;
  /** Directory of this process's own cgroup in that hierarchy; our cgroups go below it. */
  dir: string;
  /** Root of the hierarchy (v2 fallback when our own cgroup cannot have children with controllers). */
  mountPoint: string;
}
export interface CgroupLayout {
  memory: CgroupLocation;
  pids: CgroupLocation;
  cpu: CgroupLocation;
}

interface MountInfo {
  mountPoint: string;
  root: string;
  fsType: string;
  superOptions: string[];
}

export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const fields = left.split(' ');
    const [fsType, , superOpts] = right.split(' ');
    if (fields[3] === undefined || fields[4] === undefined || fsType === undefined) continue;
    mounts.push({
      root: fields[3],
      mountPoint: fields[4],
      fsType,
      superOptions: (superOpts ?? '').split(','),
    });
  }
  return mounts;
}

/** `/proc/self/cgroup` as controller -> path (v1), plus the v2 path under the key ''. */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = '', path = '/'] = match;
    if (controllers === '') paths.set('', path);
    for (const name of controllers.split(',')) if (name) paths.set(name, path);
  }
  return paths;
}

/** Finds where `memory`, `pids` and cpu accounting live, or explains what is missing. */
export function detectCgroupLayout(mountInfo: string, procCgroup: string): CgroupLayout {
  const mounts = parseMountInfo(mountInfo);
  const own = parseProcCgroup(procCgroup);
  const locate = (v1Name: string, v2Name: string | null): CgroupLocation | null => {
    const v1 = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(v1Name));
    const v1Path = own.get(v1Name);
    if (v1 && v1Path !== undefined) {
      return { version: 1, dir: join(v1.mountPoint, relativeTo(v1Path, v1.root)), mountPoint: v1.mountPoint };
    }
    const v2 = mounts.find((m) => m.fsType === 'cgroup2');
    const v2Path = own.get('');
    if (!v2 || v2Path === undefined) return null;
    if (v2Name !== null && !readControllers(v2.mountPoint).split(/\s+/).includes(v2Name)) {
      return null;
    }
    return { version: 2, dir: join(v2.mountPoint, relativeTo(v2Path, v2.root)), mountPoint: v2.mountPoint };
  };
  const memory = locate('memory', 'memory');
  const pids = locate('pids', 'pids');
  const cpu = locate('cpuacct', null);
  const missing = [!memory && 'memory', !pids && 'pids', !cpu && 'cpu accounting'].filter(Boolean);
  if (!memory || !pids || !cpu) {
    throw new SandboxUnavailableError(
      `cgroup controllers missing: ${missing.join(', ')}. scriptbox needs the memory and pids controllers ` +
        'to enforce memory and process limits. Boot with cgroups enabled (cgroup_enable=memory), run as root, ' +
        'or on cgroup v2 give scriptbox a delegated cgroup (systemd-run --scope -p Delegate=yes ...).',
    );
  }
  return { memory, pids, cpu };
}

/** Our cgroup path relative to what the mount shows (a container may see a sub-tree as its root). */
function relativeTo(path: string, mountRoot: string): string {
  const relative = mountRoot === '/' || !path.startsWith(mountRoot) ? path : path.slice(mountRoot.length);
  return relative.replace(/^\/+|\/+$/g, '');
}

function readControllers(mountPoint: string): string {
  try {
    return readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8');
  } catch {
    return '';
  }
}
