/**
 * cgroups for sandbox runs, v1 and v2 (each controller wherever this host mounts it).
 * The host creates one parent per engine and one child per run, attaches the sandbox's first
 * process before it starts the script, reads usage from it and removes it afterwards.
 *
 * Both names are random ids: a sandbox sees its own cgroup path in /proc/self/cgroup (relative to its
 * cgroup namespace, whose root is the engine's cgroup), so the names carry no host pid and no counter.
 * Which engine is alive is known from a host-wide lease each engine holds (host-lease.ts), not its pid.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { SandboxUnavailableError } from '../errors.js';
import { claimHostName, heldHostNames, type HostLease } from './host-lease.js';
import {
  detectCgroupLayout,
  type CgroupLayout,
  type CgroupLocation,
  type CgroupVersion,
} from './cgroup-layout.js';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function counter(text: string, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

export interface CgroupLimits {
  memoryBytes: number;
  maxProcesses: number;
}

export interface CgroupUsage {
  cpuMs: number;
  peakMemoryBytes: number;
  oomKills: number;
  pidsLimitHits: number;
}

/**
 * The cgroups of one sandbox: one directory per distinct hierarchy (v2 has them all in one). Limits can
 * be (re)set when a job starts; usage is measured from startAccounting(), so a runner's own start-up is
 * not billed to the script.
 */
export class SandboxCgroup {
  private readonly dirs: string[];
  private peakSeen = 0;
  private baseline = { cpuMs: 0, oomKills: 0, pidsLimitHits: 0, memoryBytes: 0 };

  constructor(
    private readonly layout: CgroupLayout,
    private readonly paths: { memory: string; pids: string; cpu: string },
  ) {
    this.dirs = [...new Set([paths.memory, paths.pids, paths.cpu])];
  }

  /**
   * Creates the directories with their limits. Asynchronous, like every mkdir/rmdir here: the kernel
   * holds cgroup_mutex through another sandbox's migration (an RCU grace period), and the host's event
   * loop must not wait on it.
   */
  async create(limits: CgroupLimits): Promise<void> {
    for (const dir of this.dirs) await mkdir(dir);
    this.setLimits(limits);
  }

  setLimits(limits: CgroupLimits): void {
    const mem = this.paths.memory;
    if (this.layout.memory.version === 1) {
      // memsw must stay >= the memory limit: lower it in the order that keeps that true.
      const memsw = join(mem, 'memory.memsw.limit_in_bytes');
      const limit = join(mem, 'memory.limit_in_bytes');
      const withSwapFile = existsSync(memsw);
      const current = Number(readText(limit).trim() || 0);
      const order = limits.memoryBytes < current ? [limit, memsw] : [memsw, limit];
      for (const file of order)
        if (file === limit || withSwapFile) writeFileSync(file, String(limits.memoryBytes));
      if (!withSwapFile) writeFileSync(join(mem, 'memory.swappiness'), '0');
    } else {
      writeFileSync(join(mem, 'memory.max'), String(limits.memoryBytes));
      if (existsSync(join(mem, 'memory.swap.max'))) writeFileSync(join(mem, 'memory.swap.max'), '0');
    }
    writeFileSync(join(this.paths.pids, 'pids.max'), String(limits.maxProcesses));
  }

  /**
   * Moves a process (all its threads) into every hierarchy of this sandbox. Asynchronous on purpose: the
   * kernel makes a migration wait for an RCU grace period (~10 ms here), which must not block the host.
   */
  async attach(pid: number): Promise<void> {
    await Promise.all(this.dirs.map((dir) => writeFile(join(dir, 'cgroup.procs'), String(pid))));
  }

  /** Memory charged to the sandbox right now (its resident runner included). */
  memoryBytes(): number {
    const file = this.layout.memory.version === 1 ? 'memory.usage_in_bytes' : 'memory.current';
    return Number(readText(join(this.paths.memory, file)).trim() || 0);
  }

  /** Memory charged when startAccounting() was called (a session's preloaded interpreter). */
  get memoryAtStartBytes(): number {
    return this.baseline.memoryBytes;
  }

  /** Processes and threads alive in the sandbox right now. */
  processCount(): number {
    return Number(readText(join(this.paths.pids, 'pids.current')).trim() || 0);
  }

  /** From now on, usage() counts only what happens after this call. */
  startAccounting(): void {
    if (this.layout.memory.version === 1) {
      // Writing 0 resets the v1 peak; v2's memory.peak keeps the runner's start-up in it.
      writeFileSync(join(this.paths.memory, 'memory.max_usage_in_bytes'), '0');
    }
    this.peakSeen = 0;
    this.baseline = { cpuMs: this.totalCpuMs(), ...this.events(), memoryBytes: this.memoryBytes() };
  }

  usage(): CgroupUsage {
    const events = this.events();
    return {
      cpuMs: this.cpuMs(),
      peakMemoryBytes: this.peakMemoryBytes(),
      oomKills: events.oomKills - this.baseline.oomKills,
      pidsLimitHits: events.pidsLimitHits - this.baseline.pidsLimitHits,
    };
  }

  /** CPU milliseconds used since startAccounting() by every process here; polled while a job runs. */
  cpuMs(): number {
    return this.totalCpuMs() - this.baseline.cpuMs;
  }

  private totalCpuMs(): number {
    const cpu = this.paths.cpu;
    const ms =
      this.layout.cpu.version === 1
        ? Number(readText(join(cpu, 'cpuacct.usage')).trim() || 0) / 1e6
        : counter(readText(join(cpu, 'cpu.stat')), 'usage_usec') / 1e3;
    return Math.round(ms);
  }

  private events(): { oomKills: number; pidsLimitHits: number } {
    const { memory, pids } = this.paths;
    const memoryEvents = this.layout.memory.version === 1 ? 'memory.oom_control' : 'memory.events';
    return {
      oomKills: counter(readText(join(memory, memoryEvents)), 'oom_kill'),
      pidsLimitHits: counter(readText(join(pids, 'pids.events')), 'max'),
    };
  }

  private peakMemoryBytes(): number {
    const mem = this.paths.memory;
    const file = this.layout.memory.version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak';
    const peak = Number(readText(join(mem, file)).trim() || 0);
    // Kernels before 5.19 have no memory.peak on v2: fall back to the highest sampled current usage.
    const current =
      this.layout.memory.version === 2 ? Number(readText(join(mem, 'memory.current')).trim() || 0) : 0;
    this.peakSeen = Math.max(this.peakSeen, peak, current);
    return this.peakSeen;
  }

  pids(): number[] {
    const all = new Set<number>();
    for (const dir of this.dirs) {
      for (const line of readText(join(dir, 'cgroup.procs')).split('\n')) if (line) all.add(Number(line));
    }
    return [...all];
  }

  /** SIGKILLs every process in the sandbox's cgroups. */
  killAll(): void {
    for (const dir of this.dirs) {
      if (existsSync(join(dir, 'cgroup.kill'))) {
        try {
          writeFileSync(join(dir, 'cgroup.kill'), '1');
        } catch {
          // already gone
        }
      }
    }
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  }

  /** Kills what is left, waits until the cgroups are empty and removes them. Idempotent. */
  async destroy(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const present = this.dirs.filter((dir) => existsSync(dir));
      if (present.length === 0) return;
      if (this.pids().length > 0) this.killAll();
      for (const dir of present) {
        try {
          await rmdir(dir);
        } catch {
          // busy until the last process is reaped
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`cgroup ${present.join(', ')} still busy after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/** An engine's parent cgroup is `scriptbox-<id>`; its engine holds the host lease `scriptbox-cgroup-<id>`. */
export const ENGINE_CGROUP_NAME = /^scriptbox-([0-9a-f]{16})$/;
export const ENGINE_LEASE_PREFIX = 'scriptbox-cgroup-';

/** A random id for a cgroup name: 64 bits, so names never collide and say nothing about the host. */
const randomId = (): string => randomBytes(8).toString('hex');

/** One engine's parent cgroups; hands out a fresh child cgroup per sandbox. */
export class CgroupManager {
  private readonly parents: { memory: string; pids: string; cpu: string };

  private constructor(
    private readonly layout: CgroupLayout,
    name: string,
    private readonly lease: HostLease,
  ) {
    this.parents = {
      memory: join(parentBase(layout.memory), name),
      pids: join(parentBase(layout.pids), name),
      cpu: join(parentBase(layout.cpu), name),
    };
  }

  /** Opens a new engine's parent cgroups, first removing those of engines that died without closing. */
  static open(): CgroupManager {
    const layout = detectCgroupLayout(readText('/proc/self/mountinfo'), readText('/proc/self/cgroup'));
    let id = randomId();
    let lease = claimHostName(`${ENGINE_LEASE_PREFIX}${id}`);
    while (lease === null) {
      id = randomId();
      lease = claimHostName(`${ENGINE_LEASE_PREFIX}${id}`);
    }
    const manager = new CgroupManager(layout, `scriptbox-${id}`, lease);
    for (const loc of [layout.memory, layout.pids, layout.cpu]) removeAbandoned(parentBase(loc));
    try {
      manager.createParents();
    } catch (cause) {
      manager.close();
      throw new SandboxUnavailableError(
        `cannot create cgroups under ${manager.parents.memory} (${(cause as Error).message}). ` +
          'Run scriptbox as root, or give it a delegated cgroup (cgroup v2: systemd-run --scope -p Delegate=yes).',
        { cause },
      );
    }
    return manager;
  }

  get version(): { memory: CgroupVersion; pids: CgroupVersion } {
    return { memory: this.layout.memory.version, pids: this.layout.pids.version };
  }

  private createParents(): void {
    for (const dir of new Set(Object.values(this.parents))) {
      mkdirSync(dir, { recursive: true });
      if (this.layout.memory.version === 2 || this.layout.pids.version === 2) {
        enableV2Controllers(dir);
      }
    }
  }

  async newSandbox(limits: CgroupLimits): Promise<SandboxCgroup> {
    const name = `sandbox-${randomId()}`;
    const cgroup = new SandboxCgroup(this.layout, {
      memory: join(this.parents.memory, name),
      pids: join(this.parents.pids, name),
      cpu: join(this.parents.cpu, name),
    });
    try {
      await cgroup.create(limits);
    } catch (err) {
      await cgroup.destroy().catch(() => undefined);
      throw err;
    }
    return cgroup;
  }

  /** Removes the parents (runs must be destroyed first). Idempotent. */
  close(): void {
    for (const dir of new Set(Object.values(this.parents))) {
      try {
        rmdirSync(dir);
      } catch {
        // already removed, or a run is still being torn down by its owner
      }
    }
    // A parent left busy is then reclaimed by the next engine that opens.
    this.lease.release();
  }
}

/**
 * v1: below our own cgroup. v2: below our own cgroup when it can delegate controllers (no processes of
 * its own), else at the hierarchy root, which is exempt from the no-internal-processes rule.
 */
function parentBase(loc: CgroupLocation): string {
  if (loc.version === 1) return loc.dir;
  const ownHasProcesses = readText(join(loc.dir, 'cgroup.procs')).trim() !== '';
  return ownHasProcesses ? loc.mountPoint : loc.dir;
}

/**
 * Removes the cgroups of engines that are gone: closed with a run still being torn down, or in a process
 * that died without closing them. Names of older versions carry their process's pid instead of a lease.
 */
function removeAbandoned(base: string): void {
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return;
  }
  let held: Map<string, number> | null = null;
  for (const entry of entries) {
    const id = ENGINE_CGROUP_NAME.exec(entry)?.[1];
    const legacyOwner = /^scriptbox-(?:doctor-)?(\d+)-[0-9a-f]+$/.exec(entry)?.[1];
    if (id !== undefined) {
      held ??= heldHostNames(ENGINE_LEASE_PREFIX);
      if (held.has(`${ENGINE_LEASE_PREFIX}${id}`)) continue;
    } else if (legacyOwner === undefined || isAlive(Number(legacyOwner))) {
      continue;
    }
    const parent = join(base, entry);
    try {
      for (const run of readdirSync(parent, { withFileTypes: true })) {
        if (!run.isDirectory()) continue;
        for (const pid of readText(join(parent, run.name, 'cgroup.procs')).split('\n')) {
          if (pid) process.kill(Number(pid), 'SIGKILL');
        }
        rmdirSync(join(parent, run.name));
      }
      rmdirSync(parent);
    } catch {
      // still busy (processes being reaped): a later engine will try again
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function enableV2Controllers(dir: string): void {
  const parent = join(dir, '..');
  for (const target of [parent, dir]) {
    const available = readText(join(target, 'cgroup.controllers')).split(/\s+/);
    const wanted = ['memory', 'pids', 'cpu'].filter((c) => available.includes(c)).map((c) => `+${c}`);
    if (wanted.length > 0) writeFileSync(join(target, 'cgroup.subtree_control'), wanted.join(' '));
  }
}
