/**
 * The cgroups of scriptbox engines and sandboxes as tests see them, on cgroup v1 and v2 alike. Where they
 * are comes from the product's own layout detection (src/sandbox/cgroup-layout.ts); which file to read
 * from the version of each controller's hierarchy. No test names a /sys/fs/cgroup path itself.
 *
 * An engine keeps one parent cgroup `scriptbox-<id>` per hierarchy (memory, pids, cpu accounting; on v2
 * one for all three), below this process's own cgroup or, on v2 when that one holds processes, at the
 * root of the hierarchy; each sandbox is a `sandbox-<id>` child of it.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  detectCgroupLayout,
  type CgroupLayout,
  type CgroupLocation,
  type CgroupVersion,
} from '../../src/sandbox/cgroup-layout.js';
import { ENGINE_CGROUP_NAME, ENGINE_LEASE_PREFIX } from '../../src/sandbox/cgroups.js';
import { heldHostNames } from '../../src/sandbox/host-lease.js';

export type Controller = 'memory' | 'pids' | 'cpu';
const CONTROLLERS: readonly Controller[] = ['memory', 'pids', 'cpu'];

/** This process's cgroup layout, as an engine opened here detects it. */
export function cgroupLayout(): CgroupLayout {
  return detectCgroupLayout(
    readFileSync('/proc/self/mountinfo', 'utf8'),
    readFileSync('/proc/self/cgroup', 'utf8'),
  );
}

/** The directories an engine may put its parent cgroups in: its own cgroup, or (v2) the hierarchy root. */
function engineBases(loc: CgroupLocation): string[] {
  return [...new Set(loc.version === 1 ? [loc.dir] : [loc.dir, loc.mountPoint])];
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * A predicate for the parent cgroup names of the engines this process has open. Their names are random
 * (`scriptbox-<id>`), so ownership is read from the host lease each open engine holds for its id: an
 * abstract Unix socket that is one of this process's open fds. A closed engine's name no longer matches:
 * remember the directories while the engine is open.
 */
export function ownEngineCgroups(): (name: string) => boolean {
  const ownSockets = new Set<number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
      if (inode !== undefined) ownSockets.add(Number(inode));
    } catch {
      // closed meanwhile
    }
  }
  const held = heldHostNames(ENGINE_LEASE_PREFIX);
  return (name) => {
    const id = ENGINE_CGROUP_NAME.exec(name)?.[1];
    const inode = id === undefined ? undefined : held.get(`${ENGINE_LEASE_PREFIX}${id}`);
    return inode !== undefined && ownSockets.has(inode);
  };
}

const anyEngine = (name: string): boolean => ENGINE_CGROUP_NAME.test(name);

/**
 * The parent cgroup directories of the engines whose names `match` (default: every scriptbox engine), in
 * the hierarchies of `controllers` (default: all three), each directory once.
 */
export function engineCgroupDirs(
  match: (name: string) => boolean = anyEngine,
  controllers: readonly Controller[] = CONTROLLERS,
  layout: CgroupLayout = cgroupLayout(),
): string[] {
  const dirs = new Set<string>();
  for (const controller of controllers) {
    for (const base of engineBases(layout[controller])) {
      for (const name of subdirs(base).filter(match)) dirs.add(join(base, name));
    }
  }
  return [...dirs];
}

/**
 * Where the open engines of this process keep their parent cgroups in `controller`'s hierarchy, which is
 * where an engine that opens looks for the abandoned cgroups of dead ones. Needs an open engine.
 */
export function engineCgroupBase(controller: Controller, layout: CgroupLayout = cgroupLayout()): string {
  const [parent] = engineCgroupDirs(ownEngineCgroups(), [controller], layout);
  if (parent === undefined) throw new Error('no engine of this process is open: open one first');
  return dirname(parent);
}

/** One sandbox's cgroup directory in each hierarchy (the same directory three times on v2). */
export interface SandboxCgroup {
  /** `sandbox-<id>`, unique on the host. */
  name: string;
  /** The engine's parent cgroup name, `scriptbox-<id>`. */
  engine: string;
  dirs: Record<Controller, string>;
  versions: Record<Controller, CgroupVersion>;
}

/** The sandbox cgroups that exist below the engines whose names `match` (default: this process's open ones). */
export function sandboxCgroups(
  match: (name: string) => boolean = ownEngineCgroups(),
  layout: CgroupLayout = cgroupLayout(),
): SandboxCgroup[] {
  const found = new Map<string, Partial<Record<Controller, string>> & { engine: string }>();
  for (const controller of CONTROLLERS) {
    for (const base of engineBases(layout[controller])) {
      for (const engine of subdirs(base).filter(match)) {
        for (const name of subdirs(join(base, engine)).filter((entry) => entry.startsWith('sandbox-'))) {
          const entry = found.get(name) ?? { engine };
          entry[controller] = join(base, engine, name);
          found.set(name, entry);
        }
      }
    }
  }
  const versions = {
    memory: layout.memory.version,
    pids: layout.pids.version,
    cpu: layout.cpu.version,
  };
  return [...found].flatMap(([name, { engine, memory, pids, cpu }]) =>
    // A sandbox being created or removed may lack a hierarchy for a moment: only whole ones count.
    memory !== undefined && pids !== undefined && cpu !== undefined
      ? [{ name, engine, dirs: { memory, pids, cpu }, versions }]
      : [],
  );
}

/** A limit file's value: a number of bytes or processes, Infinity for `max`, null once the cgroup is gone. */
function readLimit(path: string): number | null {
  const text = readText(path)?.trim();
  if (text === undefined) return null;
  return text === 'max' ? Infinity : Number(text);
}

/** The memory limit of a sandbox's cgroup in bytes (null once it is removed). */
export function memoryLimitBytes(cgroup: SandboxCgroup): number | null {
  const file = cgroup.versions.memory === 1 ? 'memory.limit_in_bytes' : 'memory.max';
  return readLimit(join(cgroup.dirs.memory, file));
}

/** The process limit of a sandbox's cgroup (null once it is removed). */
export function pidsLimit(cgroup: SandboxCgroup): number | null {
  return readLimit(join(cgroup.dirs.pids, 'pids.max'));
}

/** Processes and threads in a sandbox's cgroup now, as the pids controller counts them (0 once removed). */
export function pidsCurrent(cgroup: SandboxCgroup): number {
  return readLimit(join(cgroup.dirs.pids, 'pids.current')) ?? 0;
}

/** The host pids in a sandbox's cgroups (every hierarchy), empty once they are removed. */
export function cgroupProcesses(cgroup: SandboxCgroup): number[] {
  const pids = new Set<number>();
  for (const dir of new Set(Object.values(cgroup.dirs))) {
    for (const line of (readText(join(dir, 'cgroup.procs')) ?? '').split('\n')) {
      if (line !== '') pids.add(Number(line));
    }
  }
  return [...pids].sort((a, b) => a - b);
}

/** True when no process is left in a sandbox's cgroups (or they are gone). */
export function isEmpty(cgroup: SandboxCgroup): boolean {
  return cgroupProcesses(cgroup).length === 0;
}
