/**
 * The uid pool against a played host: which processes and keys exist and which uids other engines hold
 * are injected, so every rule is checked exactly: distinct uids, never-used ones first, then the least
 * recently returned; a returned uid comes back only after a scan, started after its return, finds none
 * of its processes and no keys; waits end in a clear error, on abort or on close.
 */
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config.js';
import { resolveSandboxOpts, sandboxUidRange } from '../../src/engine/resolve-options.js';
import { EngineClosedError, InvalidOptionsError, SandboxUnavailableError } from '../../src/errors.js';
import { claimHostName, heldHostNames } from '../../src/sandbox/host-lease.js';
import {
  accountsInRange,
  DEFAULT_SANDBOX_UIDS,
  parseKeyUsers,
  parseStatusIds,
  rangeMapped,
  subordinateOverlaps,
  UidPool,
  UidWaitCancelledError,
  type UidProbes,
} from '../../src/sandbox/uid-pool.js';
import { waitUntil } from '../support/wait.js';
import { rangeConflicts, uidChecks } from '../../src/sandbox/self-test-uids.js';

/** A played host: live process ids, key owners, uids leased by other engines; counts scans and leases. */
class FakeHost implements UidProbes {
  processes = new Set<number>();
  keys = new Set<number>();
  heldElsewhere = new Set<number>();
  leased = new Set<number>();
  scans = 0;

  processIds(): Promise<ReadonlySet<number>> {
    this.scans++;
    return Promise.resolve(new Set(this.processes));
  }

  keyUids(): ReadonlySet<number> {
    return new Set(this.keys);
  }

  lease(uid: number): { release(): void } | null {
    if (this.heldElsewhere.has(uid) || this.leased.has(uid)) return null;
    this.leased.add(uid);
    return { release: () => this.leased.delete(uid) };
  }
}

const RANGE = { first: 5000, last: 5003 };
const pool = (host: FakeHost, range = RANGE, waitMs = 300): UidPool =>
  new UidPool(range, host, { waitMs, recheckMs: 10 });

describe('uid pool', () => {
  it('gives each live sandbox its own uid (gid the same), never-used uids first and in order', async () => {
    const host = new FakeHost();
    const uids = pool(host);
    const taken = await Promise.all([uids.acquire(), uids.acquire(), uids.acquire()]);
    expect(taken.map((t) => t.uid)).toEqual([5000, 5001, 5002]);
    for (const t of taken) expect(t.gid).toBe(t.uid);
    expect([...host.leased].sort()).toEqual([5000, 5001, 5002]);
    taken[1]?.release();
    taken[1]?.release(); // idempotent
    expect([...host.leased].sort()).toEqual([5000, 5002]);
    expect(uids.status()).toEqual({ inUse: 2, returned: 1, neverUsed: 1 });
  });

  it('reuses the least recently returned uid once every uid was used', async () => {
    const host = new FakeHost();
    const uids = pool(host);
    const taken = await Promise.all([0, 1, 2, 3].map(() => uids.acquire()));
    for (const index of [2, 0, 3, 1]) taken[index]?.release();
    const again = [];
    for (let i = 0; i < 4; i++) again.push((await uids.acquire()).uid);
    expect(again).toEqual([5002, 5000, 5003, 5001]);
  });

  it('skips uids another engine holds', async () => {
    const host = new FakeHost();
    host.heldElsewhere.add(5000);
    host.heldElsewhere.add(5001);
    const uids = pool(host);
    expect((await uids.acquire()).uid).toBe(5002);
  });

  it('does not hand out a returned uid while a process of it remains, and does once it is gone', async () => {
    const host = new FakeHost();
    const uids = pool(host, { first: 5000, last: 5000 + 1 });
    const [a, b] = await Promise.all([uids.acquire(), uids.acquire()]);
    expect(a?.uid).toBe(5000);
    host.processes.add(5000); // a leftover of a's sandbox
    a?.release();
    const scansBefore = host.scans;
    const waiting = uids.acquire();
    // Still quarantined: rechecked by fresh scans (one started after the release), never handed out.
    await waitUntil(() => host.scans > scansBefore + 1, { what: 'two fresh scans of the host' });
    expect(host.leased.has(5000)).toBe(false);
    host.processes.delete(5000);
    expect((await waiting).uid).toBe(5000);
    b?.release();
  });

  it('a gid of a live process keeps a uid out too (the same number is both)', async () => {
    const host = new FakeHost();
    host.processes.add(5000); // e.g. a process whose gid is 5000
    const uids = pool(host);
    expect((await uids.acquire()).uid).toBe(5001);
  });

  it('does not hand out a uid that owns kernel keys until they are gone', async () => {
    const host = new FakeHost();
    const uids = pool(host, { first: 5000, last: 5000 });
    expect(uids.shared).toBe(true);
    const two = pool(host, { first: 5000, last: 5001 });
    const [a, b] = await Promise.all([two.acquire(), two.acquire()]);
    host.keys.add(5000);
    a?.release();
    const scansBefore = host.scans;
    const waiting = two.acquire();
    await waitUntil(() => host.scans > scansBefore + 1, { what: 'two fresh scans of the host' });
    expect(host.leased.has(5000)).toBe(false);
    host.keys.clear();
    expect((await waiting).uid).toBe(5000);
    b?.release();
  });

  it('a scan from before a return never clears the returned uid', async () => {
    const host = new FakeHost();
    const uids = new UidPool({ first: 5000, last: 5000 + 1 }, host, { scanTtlMs: 60_000 });
    const a = await uids.acquire();
    const b = await uids.acquire();
    expect(host.scans).toBe(1); // never-used uids share a recent scan
    a.release();
    expect((await uids.acquire()).uid).toBe(5000);
    expect(host.scans).toBe(2); // the returned uid needed a scan of its own
    b.release();
  });

  it('a one-uid range runs every sandbox as that uid (no lease, no exclusivity)', async () => {
    const host = new FakeHost();
    const uids = pool(host, { first: 7000, last: 7000 });
    const [a, b] = await Promise.all([uids.acquire(), uids.acquire()]);
    expect([a?.uid, b?.uid]).toEqual([7000, 7000]);
    expect(host.leased.size).toBe(0);
  });

  it('when every uid is taken, waits for one to be returned', async () => {
    const host = new FakeHost();
    const uids = pool(host, { first: 5000, last: 5001 }, 5_000);
    const [a, b] = await Promise.all([uids.acquire(), uids.acquire()]);
    const waiting = uids.acquire();
    setTimeout(() => b?.release(), 30);
    expect((await waiting).uid).toBe(5001);
    a?.release();
  });

  it('fails with a clear error naming SCRIPTBOX_SANDBOX_UIDS once the wait is over', async () => {
    const host = new FakeHost();
    const uids = pool(host, { first: 5000, last: 5001 }, 100);
    await Promise.all([uids.acquire(), uids.acquire()]);
    const started = performance.now();
    const error = await uids.acquire().catch((err: unknown) => err);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect((error as Error).message).toMatch(/5000-5001.*SCRIPTBOX_SANDBOX_UIDS/s);
  });

  it('a wait ends at once when its signal aborts, or when the pool closes', async () => {
    const host = new FakeHost();
    const uids = pool(host, { first: 5000, last: 5001 }, 10_000);
    await Promise.all([uids.acquire(), uids.acquire()]);
    const controller = new AbortController();
    const aborted = uids.acquire(controller.signal).catch((err: unknown) => err);
    setTimeout(() => controller.abort(), 20);
    expect(await aborted).toBeInstanceOf(UidWaitCancelledError);
    const closed = uids.acquire().catch((err: unknown) => err);
    setTimeout(() => uids.close(), 20);
    expect(await closed).toBeInstanceOf(EngineClosedError);
  });

  it('refuses ranges that are not ranges of host uids', () => {
    const host = new FakeHost();
    expect(() => new UidPool({ first: 0, last: 10 }, host)).toThrow(RangeError);
    expect(() => new UidPool({ first: 10, last: 9 }, host)).toThrow(RangeError);
    expect(() => new UidPool({ first: 10, last: 2 ** 32 - 1 }, host)).toThrow(RangeError);
  });
});

describe('host probes and range checks', () => {
  it('reads every uid and gid of a /proc/<pid>/status', () => {
    const status = 'Name:\tx\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nGroups:\t9\n';
    expect(parseStatusIds(status)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reads the key owners of /proc/key-users', () => {
    const text = '    0:    10 9/9 5/1000000 111/25000000\n2000000003:     1 1/1 1/200 9/20000\n';
    expect([...parseKeyUsers(text)]).toEqual([0, 2000000003]);
  });

  it('finds accounts, groups and subordinate ranges inside a range', () => {
    const range = { first: 100_000, last: 165_535 };
    expect(accountsInRange('root:x:0:0::/root:/bin/sh\nsvc:x:100001:1::/:/bin/false\n', range)).toEqual([
      'svc (100001)',
    ]);
    expect(subordinateOverlaps('alice:100000:65536\nbob:165536:65536\n', range)).toEqual([
      'alice:100000:65536',
    ]);
    expect(subordinateOverlaps('carol:99999:2\n', range)).toEqual(['carol:99999:2']);
    expect(subordinateOverlaps('dave:99000:1000\n', range)).toEqual([]);
    const conflicts = rangeConflicts(range, {
      passwd: '',
      group: 'g:x:100002:\n',
      subuid: '',
      subgid: 'alice:100000:65536\n',
    });
    expect(conflicts).toEqual(['/etc/group: g (100002)', '/etc/subgid: alice:100000:65536']);
    const none = { passwd: 'nobody:x:65534:65534::/:/bin/false\n', group: '', subuid: '', subgid: '' };
    expect(rangeConflicts(DEFAULT_SANDBOX_UIDS, none)).toEqual([]);
  });

  it('knows whether a range is mapped in a user namespace', () => {
    expect(rangeMapped('         0          0 4294967295\n', DEFAULT_SANDBOX_UIDS)).toBe(true);
    expect(rangeMapped('         0     100000      65536\n', DEFAULT_SANDBOX_UIDS)).toBe(false);
    expect(rangeMapped('         0     100000      65536\n', { first: 1000, last: 1999 })).toBe(true);
  });

  it('leases a host-wide name once, and again after its release', () => {
    const name = `scriptbox-test-lease-${process.pid}-${Date.now()}`;
    const lease = claimHostName(name);
    expect(lease).not.toBeNull();
    expect(claimHostName(name)).toBeNull();
    expect(heldHostNames('scriptbox-test-lease-').has(name)).toBe(true);
    lease?.release();
    lease?.release();
    expect(heldHostNames('scriptbox-test-lease-').has(name)).toBe(false);
    const again = claimHostName(name);
    expect(again).not.toBeNull();
    again?.release();
  });
});

describe('configuration of the uid range', () => {
  it('SCRIPTBOX_SANDBOX_UIDS=first-last; options > environment > default', () => {
    expect(readEnv({ SCRIPTBOX_SANDBOX_UIDS: '3000000000-3000000099' }).sandbox.uids).toEqual({
      first: 3_000_000_000,
      last: 3_000_000_099,
    });
    expect(resolveSandboxOpts({}, readEnv({})).uids).toEqual(DEFAULT_SANDBOX_UIDS);
    const env = readEnv({ SCRIPTBOX_SANDBOX_UIDS: '10-20' });
    expect(resolveSandboxOpts({}, env).uids).toEqual({ first: 10, last: 20 });
    expect(resolveSandboxOpts({ sandbox: { uids: { first: 30, last: 40 } } }, env).uids).toEqual({
      first: 30,
      last: 40,
    });
  });

  it('refuses a malformed range, and the replaced SCRIPTBOX_SANDBOX_UID says what replaces it', () => {
    for (const bad of ['20-10', '0-10', '10', 'a-b', '1-4294967295']) {
      expect(() => readEnv({ SCRIPTBOX_SANDBOX_UIDS: bad }), bad).toThrow(InvalidOptionsError);
    }
    expect(() => readEnv({ SCRIPTBOX_SANDBOX_UID: '65534' })).toThrow(/replaced by SCRIPTBOX_SANDBOX_UIDS/);
  });

  it('uses the range only as root: otherwise every sandbox runs as the caller', () => {
    const opts = resolveSandboxOpts({}, readEnv({}));
    expect(sandboxUidRange(opts, true)).toEqual(DEFAULT_SANDBOX_UIDS);
    expect(sandboxUidRange(opts, false)).toBeNull();
  });
});

describe('doctor: uid per sandbox', () => {
  const noFiles = { passwd: '', group: '', subuid: '', subgid: '' };

  it('warns (optional check) when not root: every sandbox runs as the caller', async () => {
    const checks = await uidChecks({ bwrapPath: 'bwrap', uids: DEFAULT_SANDBOX_UIDS }, false, noFiles);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'uid per sandbox', ok: false, required: false });
    expect(checks[0]?.detail).toMatch(/^unavailable, not root/);
  });

  it('warns about a one-uid range and about a range real accounts use', async () => {
    const single = { first: 2_000_100_030, last: 2_000_100_030 };
    const [perSandbox] = await uidChecks({ bwrapPath: 'bwrap', uids: single }, true, noFiles);
    expect(perSandbox).toMatchObject({ name: 'uid per sandbox', ok: false, required: false });
    expect(perSandbox?.detail).toMatch(/one host uid for every sandbox/);
    const files = { ...noFiles, passwd: 'svc:x:2000000005:2000000005::/:/bin/false\n' };
    const [overlap] = await uidChecks({ bwrapPath: 'bwrap', uids: DEFAULT_SANDBOX_UIDS }, true, files);
    expect(overlap?.ok).toBe(false);
    expect(overlap?.detail).toMatch(/already used on this host: \/etc\/passwd: svc \(2000000005\)/);
    expect(overlap?.fix).toMatch(/SCRIPTBOX_SANDBOX_UIDS/);
  });
});
