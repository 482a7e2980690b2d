/** The service guard on a real library and a fake clock: authentication, rate limits, CPU quota, audit. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { thrownScriptboxError as thrown } from '../support/errors.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { createGuard, type GuardOpts } from '../../src/access/guard.js';
import type { Principal, ServiceGuard } from '../../src/access/guard-types.js';
import { createToken, listTokens, revokeToken } from '../../src/access/tokens.js';

let dir: string;
let home: string;
let lib: Library;
let t: number;
const now = (): number => t;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-service-guard-'));
  home = join(dir, 'home');
  t = Date.parse('2025-03-14T10:00:00.000Z');
  lib = openLibrary({ home });
});
afterEach(() => {
  lib.close();
  rmSync(dir, { recursive: true, force: true });
});

const guardOf = (more: Partial<GuardOpts> = {}): ServiceGuard => createGuard({ library: lib, now, ...more });

const bearer = (token: string): string => `Bearer ${token}`;
const anonymous: Principal = { tokenId: null, name: 'anonymous' };

describe('authenticate', () => {
  test('without tokens, callers without a header are anonymous; a wrong header is still refused', () => {
    const guard = guardOf();
    expect(guard.tokensRequired).toBe(false);
    expect(guard.authenticate(undefined)).toEqual(anonymous);
    expect(guard.authenticate('')).toEqual(anonymous);
    const err = thrown(() => guard.authenticate(bearer(`sbx_${'A'.repeat(43)}`)));
    expect([err.code, err.data]).toEqual(['UNAUTHORIZED', { reason: 'unknown' }]);
  });

  test('with a token, it is required, checked, and recorded as used', () => {
    const guard = guardOf();
    const { id, token } = createToken(lib, { name: 'ci' });
    expect(guard.tokensRequired).toBe(true);
    expect(guard.authenticate(bearer(token))).toEqual({ tokenId: id, name: 'ci' });
    expect(guard.authenticate(`  bearer \t${token} `)).toEqual({ tokenId: id, name: 'ci' });
    expect(listTokens(lib)[0]?.lastUsedAt).toBe('2025-03-14T10:00:00.000Z');

    const refusal = (header: string | undefined): unknown => {
      const err = thrown(() => guard.authenticate(header));
      expect(err.code).toBe('UNAUTHORIZED');
      expect(err.message).not.toContain(token.slice(4));
      return err.data['reason'];
    };
    expect(refusal(undefined)).toBe('missing');
    expect(refusal('')).toBe('missing');
    expect(refusal(token)).toBe('malformed'); // no scheme
    expect(refusal(`Basic ${token}`)).toBe('malformed');
    expect(refusal(bearer(`${token}x`))).toBe('malformed');
    expect(refusal(bearer(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`))).toBe('unknown');
  });

  test('a revoked token is refused at once, and the last revocation opens the server again', () => {
    const guard = guardOf();
    const ci = createToken(lib, { name: 'ci' });
    const other = createToken(lib, { name: 'other' });
    const principal = guard.authenticate(bearer(ci.token));
    revokeToken(lib, ci.id);
    expect(thrown(() => guard.authenticate(bearer(ci.token))).data).toEqual({ reason: 'revoked' });
    // A principal authenticated before the revocation cannot start runs either.
    expect(thrown(() => guard.admitRun(principal)).code).toBe('UNAUTHORIZED');
    revokeToken(lib, other.id);
    expect(guard.tokensRequired).toBe(false);
    expect(guard.authenticate(undefined)).toEqual(anonymous);
  });

  test('a token created by another connection while the guard lives takes effect', () => {
    const guard = guardOf();
    expect(guard.authenticate(undefined)).toEqual(anonymous);
    const cli = openLibrary({ home }); // like `scriptbox tokens create` in another process
    const { id, token } = createToken(cli, { name: 'late' });
    cli.close();
    expect(guard.tokensRequired).toBe(true);
    expect(thrown(() => guard.authenticate(undefined)).data).toEqual({ reason: 'missing' });
    expect(guard.authenticate(bearer(token))).toEqual({ tokenId: id, name: 'late' });
  });

  test('last_used_at is written at most once a minute', () => {
    const guard = guardOf();
    const { token } = createToken(lib, { name: 'ci' });
    guard.authenticate(bearer(token));
    t += 59_000;
    guard.authenticate(bearer(token));
    expect(listTokens(lib)[0]?.lastUsedAt).toBe('2025-03-14T10:00:00.000Z');
    t += 1_000;
    guard.authenticate(bearer(token));
    expect(listTokens(lib)[0]?.lastUsedAt).toBe('2025-03-14T10:01:00.000Z');
  });
});

describe('admitRun: runs per minute', () => {
  test('admits N, then RATE_LIMITED with the seconds until the bucket refills', () => {
    const guard = guardOf();
    const { token } = createToken(lib, { name: 'ci', runsPerMinute: 4 });
    const ci = guard.authenticate(bearer(token));
    for (let i = 0; i < 4; i += 1) guard.admitRun(ci);
    const err = thrown(() => guard.admitRun(ci));
    expect([err.code, err.data]).toEqual([
      'RATE_LIMITED',
      { retryAfterSeconds: 15, limit: 'runsPerMinute', quota: 4 },
    ]);
    t += 14_500;
    expect(thrown(() => guard.admitRun(ci)).data['retryAfterSeconds']).toBe(1);
    t += 500;
    guard.admitRun(ci);
    expect(thrown(() => guard.admitRun(ci)).data['retryAfterSeconds']).toBe(15);
    t += 60_000;
    for (let i = 0; i < 4; i += 1) guard.admitRun(ci);
    expect(thrown(() => guard.admitRun(ci)).code).toBe('RATE_LIMITED');
  });

  test('each principal has its own bucket; anonymous callers share one with the defaults', () => {
    const guard = guardOf({ defaults: { runsPerMinute: 2 } });
    guard.admitRun(anonymous);
    guard.admitRun({ tokenId: null, name: 'anonymous' });
    expect(thrown(() => guard.admitRun(anonymous)).data).toMatchObject({ retryAfterSeconds: 30, quota: 2 });
    const { token } = createToken(lib, { name: 'ci' }); // no own limit: the default
    const ci = guard.authenticate(bearer(token));
    guard.admitRun(ci);
    guard.admitRun(ci);
    expect(thrown(() => guard.admitRun(ci)).data).toMatchObject({ limit: 'runsPerMinute', quota: 2 });
  });

  test('refuses invalid defaults', () => {
    expect(() => guardOf({ defaults: { runsPerMinute: 0 } })).toThrow(/runsPerMinute/);
  });
});

describe('admitRun: CPU seconds per day', () => {
  test('refuses once the day is used up, until the next UTC day, across a reopened library', () => {
    t = Date.parse('2025-03-14T23:59:00.000Z');
    const { token } = createToken(lib, { name: 'ci', cpuSecondsPerDay: 10, runsPerMinute: 1000 });
    let guard = guardOf();
    const ci = guard.authenticate(bearer(token));
    guard.admitRun(ci);
    guard.chargeCpu(ci, 6_000);
    guard.admitRun(ci); // 6 of 10 s used: still admitted
    guard.chargeCpu(ci, 4_000.4);
    const err = thrown(() => guard.admitRun(ci));
    expect([err.code, err.data]).toEqual([
      'RATE_LIMITED',
      { retryAfterSeconds: 60, limit: 'cpuSecondsPerDay', quota: 10, usedMs: 10_000 },
    ]);
    // A restart (new library connection, new guard) does not reset the quota.
    lib.close();
    lib = openLibrary({ home });
    guard = guardOf();
    t += 30_000;
    expect(thrown(() => guard.admitRun(ci)).data).toMatchObject({ retryAfterSeconds: 30, usedMs: 10_000 });
    // Nor does it touch another principal's quota.
    guard.admitRun(anonymous);
    t += 30_000; // 2025-03-15T00:00:00Z
    guard.admitRun(ci);
    guard.chargeCpu(ci, 9_999);
    guard.admitRun(ci);
  });

  test('anonymous callers share one quota row with the default quota', () => {
    const guard = guardOf({ defaults: { cpuSecondsPerDay: 2 } });
    guard.chargeCpu(anonymous, 1_500);
    guard.admitRun({ tokenId: null, name: 'anonymous' });
    guard.chargeCpu({ tokenId: null, name: 'anonymous' }, 500);
    expect(thrown(() => guard.admitRun(anonymous)).data).toMatchObject({ limit: 'cpuSecondsPerDay' });
  });

  test('refuses a CPU time that is not a number from 0', () => {
    const guard = guardOf();
    expect(thrown(() => guard.chargeCpu(anonymous, -1)).code).toBe('INVALID_OPTIONS');
    expect(() => guard.chargeCpu(anonymous, Number.NaN)).toThrow(/invalid CPU time/);
    guard.chargeCpu(anonymous, 0);
  });
});

describe('audit', () => {
  test('writes who, what, target and result to the library audit log', () => {
    const guard = guardOf();
    const { id, token } = createToken(lib, { name: 'ci' });
    const ci = guard.authenticate(bearer(token));
    guard.audit(ci, 'run', 'python', { ok: true, exitCode: 0 });
    t += 1_000;
    guard.audit(anonymous, 'scripts.delete', 'math_addition_001.py', {
      ok: false,
      code: 'LIBRARY_NOT_FOUND',
    });
    const entries = lib.audit({ limit: 2 }).map(({ at, who, action, target, details }) => ({
      at,
      who,
      action,
      target,
      details,
    }));
    expect(entries).toEqual([
      {
        at: '2025-03-14T10:00:01.000Z',
        who: 'anonymous',
        action: 'scripts.delete',
        target: 'math_addition_001.py',
        details: { ok: false, code: 'LIBRARY_NOT_FOUND', tokenId: null },
      },
      {
        at: '2025-03-14T10:00:00.000Z',
        who: 'ci',
        action: 'run',
        target: 'python',
        details: { ok: true, exitCode: 0, tokenId: id },
      },
    ]);
    expect(() => guard.audit(ci, 'run', 'x', { n: 1n })).toThrow(/not JSON/);
  });
});

describe('admitNetwork', () => {
  test("a token's allowlist narrows what its runs may ask for; without one the server's policy decides", () => {
    const guard = guardOf();
    const narrow = createToken(lib, { name: 'scraper', netAllow: ['*.example.com', 'api.example.org:8443'] });
    const wide = createToken(lib, { name: 'ops' });
    const scraper = guard.authenticate(bearer(narrow.token));
    const ops = guard.authenticate(bearer(wide.token));

    expect(() => guard.admitNetwork(scraper, ['shop.example.com', 'api.example.org:8443'])).not.toThrow();
    const err = thrown(() =>
      guard.admitNetwork(scraper, ['shop.example.com', 'evil.example', 'api.example.org']),
    );
    expect(err.code).toBe('NETWORK_NOT_PERMITTED');
    // The apex of a wildcard and a default port of a port-only entry are not covered.
    expect(err.data).toEqual({
      uncovered: ['evil.example', 'api.example.org'],
      allowed: ['*.example.com', 'api.example.org:8443'],
    });
    expect(err.message).toMatch(/scraper may not reach evil\.example, api\.example\.org; it may be granted/);
    expect(thrown(() => guard.admitNetwork(scraper, ['example.com'])).code).toBe('NETWORK_NOT_PERMITTED');

    expect(() => guard.admitNetwork(ops, ['anything.example'])).not.toThrow();
    revokeToken(lib, narrow.id);
    expect(thrown(() => guard.admitNetwork(scraper, ['shop.example.com'])).code).toBe('UNAUTHORIZED');
  });
});
