/**
 * One host uid per live sandbox. When scriptbox runs as root, each sandbox's bwrap runs as a host uid (gid:
 * the same number) that no other live sandbox has, so per-uid kernel state (keyring quotas, inotify
 * instances, RLIMIT_NPROC, message-queue bytes) is never shared between tenants, and an escape lands as
 * a uid that owns nothing.
 *
 * Every scriptbox engine on the host takes its uids from the same range: a uid is held through a host-wide
 * lease (host-lease.ts) for as long as its sandbox lives. A uid comes back when its sandbox is destroyed
 * and is handed out again only once nothing of its previous holder remains: no process has it (any of
 * the real, effective, saved or filesystem ids in /proc/<pid>/status) and it owns no key (no line in
 * /proc/key-users). Until then it waits in quarantine and is checked again later. Uids never handed out
 * come first, then the least recently returned, so a uid is reused as rarely as the range allows.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { EngineClosedError, SandboxUnavailableError, ScriptboxError } from '../errors.js';
import { claimHostName } from './host-lease.js';

/** A range of host uids, both ends included; each uid's gid is the same number. */
export interface UidRange {
  first: number;
  last: number;
}

/**
 * Above systemd's container range (524288-1879048191) and below 2^31 (tools that treat uids as signed):
 * no distribution, useradd default, subuid allocation or systemd range uses it.
 */
export const DEFAULT_SANDBOX_UIDS: Readonly<UidRange> = { first: 2_000_000_000, last: 2_000_065_535 };

/** The highest uid a process can have: 2^32 - 1 means "no uid" to the kernel. */
export const MAX_SANDBOX_UID = 4_294_967_294;

export const formatUidRange = (range: UidRange): string => `${range.first}-${range.last}`;
export const uidRangeSize = (range: UidRange): number => range.last - range.first + 1;

/** A host uid taken for one sandbox; release() (idempotent) gives it back once the sandbox is gone. */
export interface HostUid {
  readonly uid: number;
  readonly gid: number;
  release(): void;
}

/** What the pool asks the host; injectable so tests can play any state of the host. */
export interface UidProbes {
  /** Every uid and gid some live process has (real, effective, saved and filesystem ids). */
  processIds(): Promise<ReadonlySet<number>>;
  /** Host uids that own kernel keys (those with a line in /proc/key-users). */
  keyUids(): ReadonlySet<number>;
  /** Takes `uid` across every scriptbox engine of this host, or null while another one holds it. */
  lease(uid: number): { release(): void } | null;
}

export interface UidPoolOpts {
  /** How long acquire() waits for a free uid before it fails (default 30 s). */
  waitMs?: number;
  /** While waiting, how often quarantined uids are checked again (default 250 ms). */
  recheckMs?: number;
  /** A process scan this recent may clear a uid never handed out by this pool (default 1 s). */
  scanTtlMs?: number;
  now?: () => number;
}

/** A run was cancelled while its launch waited for a free uid. */
export class UidWaitCancelledError extends ScriptboxError {
  constructor() {
    super('CANCELLED', 'the run was cancelled while it waited for a free sandbox uid');
  }
}

interface Candidate {
  uid: number;
  /** A clean verdict must come from this scan or a later one (scans are numbered from 1). */
  needScan: number;
}

interface Scan {
  number: number;
  startedAt: number;
  ids: ReadonlySet<number>;
}

export class UidPool {
  /** Offset (from range.first) of the next uid this pool never handed out. */
  private nextFresh = 0;
  /** Returned or skipped uids, least recently returned first; each is checked again before reuse. */
  private readonly returned: Candidate[] = [];
  private readonly inUse = new Set<number>();
  private scans = 0;
  private latest: Scan | null = null;
  private scanning: { number: number; promise: Promise<Scan> } | null = null;
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private readonly waitMs: number;
  private readonly recheckMs: number;
  private readonly scanTtlMs: number;
  private readonly now: () => number;

  constructor(
    readonly range: Readonly<UidRange>,
    private readonly probes: UidProbes = hostUidProbes(),
    opts: UidPoolOpts = {},
  ) {
    if (!Number.isInteger(range.first) || !Number.isInteger(range.last) || range.first < 1) {
      throw new RangeError(`invalid uid range ${formatUidRange(range)}`);
    }
    if (range.first > range.last || range.last > MAX_SANDBOX_UID) {
      throw new RangeError(`invalid uid range ${formatUidRange(range)}`);
    }
    this.waitMs = opts.waitMs ?? 30_000;
    this.recheckMs = opts.recheckMs ?? 250;
    this.scanTtlMs = opts.scanTtlMs ?? 1_000;
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return uidRangeSize(this.range);
  }

  /** A one-uid range: every sandbox runs as that uid, nothing is exclusive (doctor warns about it). */
  get shared(): boolean {
    return this.size === 1;
  }

  /** Uids held by this pool's live sandboxes, and returned ones not yet handed out again. */
  status(): { inUse: number; returned: number; neverUsed: number } {
    return { inUse: this.inUse.size, returned: this.returned.length, neverUsed: this.size - this.nextFresh };
  }

  /**
   * A uid no other live sandbox has and nothing of an earlier holder is left in. Waits while none is free
   * (rejects with UidWaitCancelledError when `signal` aborts), then fails with SandboxUnavailableError.
   */
  async acquire(signal?: AbortSignal): Promise<HostUid> {
    if (this.shared) return { uid: this.range.first, gid: this.range.first, release: () => undefined };
    const deadline = this.now() + this.waitMs;
    for (;;) {
      if (this.closed) throw new EngineClosedError();
      if (signal?.aborted) throw new UidWaitCancelledError();
      const taken = await this.tryTake();
      if (taken) return taken;
      const left = deadline - this.now();
      if (left <= 0) throw this.exhausted();
      await this.changed(Math.min(left, this.recheckMs), signal);
    }
  }

  /** Wakes and fails every waiting acquire(); later ones fail at once. Held uids stay valid. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  private async tryTake(): Promise<HostUid | null> {
    // Each returned uid is looked at once per call; never-used ones until one is free or none is left.
    let returnedBudget = this.returned.length;
    while (!this.closed) {
      let candidate: Candidate | undefined;
      if (this.nextFresh < this.size) candidate = { uid: this.range.first + this.nextFresh++, needScan: 0 };
      else if (returnedBudget-- > 0) candidate = this.returned.shift();
      if (candidate === undefined) return null;
      const lease = this.probes.lease(candidate.uid);
      if (lease === null) {
        // Another engine's sandbox has it: try it again once everything else was tried.
        this.returned.push(candidate);
        continue;
      }
      this.inUse.add(candidate.uid);
      let scan: Scan;
      try {
        scan = await this.scan(candidate.needScan);
      } catch (err) {
        this.inUse.delete(candidate.uid);
        lease.release();
        this.returned.unshift(candidate);
        throw err;
      }
      // Keys are read once the lease is held: an earlier holder elsewhere let it go only when done.
      if (scan.ids.has(candidate.uid) || this.probes.keyUids().has(candidate.uid)) {
        this.inUse.delete(candidate.uid);
        lease.release();
        this.returned.push({ uid: candidate.uid, needScan: scan.number + 1 });
        continue;
      }
      return this.handOut(candidate.uid, lease);
    }
    return null;
  }

  private handOut(uid: number, lease: { release(): void }): HostUid {
    let held = true;
    return {
      uid,
      gid: uid,
      release: () => {
        if (!held) return;
        held = false;
        lease.release();
        this.inUse.delete(uid);
        // Only a scan started after this moment may clear it.
        this.returned.push({ uid, needScan: this.scans + 1 });
        this.notify();
      },
    };
  }

  /** A process scan numbered `minNumber` or later, shared by concurrent callers and reused briefly. */
  private scan(minNumber: number): Promise<Scan> {
    const latest = this.latest;
    if (latest && latest.number >= minNumber && this.now() - latest.startedAt <= this.scanTtlMs) {
      return Promise.resolve(latest);
    }
    if (this.scanning && this.scanning.number >= minNumber) return this.scanning.promise;
    const number = ++this.scans;
    const startedAt = this.now();
    const promise = this.probes.processIds().then((ids) => {
      const scan = { number, startedAt, ids };
      if (!this.latest || this.latest.number < number) this.latest = scan;
      return scan;
    });
    this.scanning = { number, promise };
    const done = (): void => {
      if (this.scanning?.promise === promise) this.scanning = null;
    };
    promise.then(done, done);
    return promise;
  }

  private changed(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
      };
      const wake = (): void => {
        finish();
        resolve();
      };
      const onAbort = (): void => {
        finish();
        reject(new UidWaitCancelledError());
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private exhausted(): SandboxUnavailableError {
    const range = formatUidRange(this.range);
    return new SandboxUnavailableError(
      `no free host uid for a sandbox after ${this.waitMs} ms: this engine's live sandboxes hold ` +
        `${this.inUse.size} of the ${this.size} uids of ${range}, and the others are held by other ` +
        'scriptbox engines or still hold processes or keys of earlier sandboxes. Widen the range: ' +
        'SCRIPTBOX_SANDBOX_UIDS=first-last (or the engine option sandbox.uids)',
      { data: { range, inUse: this.inUse.size, returned: this.returned.length } },
    );
  }
}

/** The real host: /proc/*\/status, /proc/key-users, and a host-wide lease per uid. */
export function hostUidProbes(): UidProbes {
  return {
    processIds: () => scanProcessIds(),
    keyUids: () => parseKeyUsers(readText('/proc/key-users')),
    lease: (uid) => claimHostName(`scriptbox-uid-${uid}`),
  };
}

/** Every uid and gid of every process under `procDir`, read a few dozen files at a time. */
export async function scanProcessIds(procDir = '/proc'): Promise<Set<number>> {
  const ids = new Set<number>();
  const pids = (await readdir(procDir)).filter((name) => /^\d+$/.test(name));
  for (let at = 0; at < pids.length; at += 64) {
    await Promise.all(
      pids.slice(at, at + 64).map(async (pid) => {
        try {
          for (const id of parseStatusIds(await readFile(`${procDir}/${pid}/status`, 'latin1'))) ids.add(id);
        } catch {
          // exited while we looked
        }
      }),
    );
  }
  return ids;
}

/** The ids on the Uid: and Gid: lines of a /proc/<pid>/status. */
export function parseStatusIds(status: string): number[] {
  const ids: number[] = [];
  for (const match of status.matchAll(/^(?:Uid|Gid):\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/gm)) {
    ids.push(Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4]));
  }
  return ids;
}

/** Uids with a line in /proc/key-users (`  <uid>:  <usage> <keys>/<instantiated> ...`). */
export function parseKeyUsers(text: string): Set<number> {
  const uids = new Set<number>();
  for (const match of text.matchAll(/^\s*(\d+):/gm)) uids.add(Number(match[1]));
  return uids;
}

/** `name (id)` of each /etc/passwd or /etc/group entry whose id (third field) is in `range`. */
export function accountsInRange(text: string, range: UidRange): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === undefined || id === undefined || !/^\d+$/.test(id)) continue;
    if (Number(id) >= range.first && Number(id) <= range.last) found.push(`${name} (${id})`);
  }
  return found;
}

/** Each /etc/subuid or /etc/subgid entry (`name:start:count`) that overlaps `range`. */
export function subordinateOverlaps(text: string, range: UidRange): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const [name, start, count] = line.trim().split(':');
    if (name === undefined || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) continue;
    const first = Number(start);
    const last = first + Number(count) - 1;
    if (Number(count) > 0 && first <= range.last && last >= range.first)
      found.push(`${name}:${start}:${count}`);
  }
  return found;
}

/** Whether `range` lies inside one extent of a /proc/self/uid_map (or gid_map) text. */
export function rangeMapped(mapText: string, range: UidRange): boolean {
  return mapText.split('\n').some((line) => {
    // `inside outside count`: the ids this process can switch to are the inside ones.
    const [inside, , count] = line.trim().split(/\s+/).map(Number);
    if (inside === undefined || count === undefined || Number.isNaN(inside) || Number.isNaN(count))
      return false;
    return range.first >= inside && range.last <= inside + count - 1;
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
