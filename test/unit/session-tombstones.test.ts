/**
 * The memory of ended sessions behind HTTP's 410: bounded in count and age, per owner, and the message a
 * caller reads (when it expired, how long it was idle, how to start anew).
 */
import { describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../src/errors.js';
import type { SessionInfo } from '../../src/engine/session-info.js';
import { humanDuration, SessionGoneError, SessionTombstones } from '../../src/engine/session-tombstones.js';

const T0 = Date.parse('2025-01-01T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** A closed session's info(): last used at `lastUsed`, ended at `ended`. */
function ended(id: string, lastUsed: number, endedAt: number, expired = true): SessionInfo {
  return {
    id,
    language: 'python',
    state: 'stateful',
    status: 'closed',
    createdAt: iso(T0),
    lastUsedAt: iso(lastUsed),
    idleTimeoutMs: 600_000,
    expiresAt: null,
    usage: { runs: 3, cpuMs: 10, wallMs: 20, workDirBytes: null },
    ended: { at: iso(endedAt), reason: expired ? 'idle for 600000 ms' : 'closed by its owner', expired },
  };
}

describe('SessionTombstones', () => {
  it('tells the owner how and when a session ended, and nobody else', () => {
    const tombstones = new SessionTombstones({ now: () => T0 + 700_000 });
    tombstones.record(ended('a', T0 + 60_000, T0 + 660_000), 'token:alice');
    expect(tombstones.find('a', 'token:alice')).toEqual({
      id: 'a',
      language: 'python',
      reason: 'idle for 600000 ms',
      expired: true,
      createdAt: iso(T0),
      lastUsedAt: iso(T0 + 60_000),
      endedAt: iso(T0 + 660_000),
      idleMs: 600_000,
      idleTimeoutMs: 600_000,
    });
    expect(tombstones.find('a', 'token:bob')).toBeUndefined();
    expect(tombstones.find('never', 'token:alice')).toBeUndefined();
  });

  it('keeps the newest maxEntries, forgetting the oldest first', () => {
    const tombstones = new SessionTombstones({ maxEntries: 3, now: () => T0 });
    for (const id of ['a', 'b', 'c', 'd']) tombstones.record(ended(id, T0, T0), 'o');
    expect(tombstones.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => tombstones.find(id, 'o') !== undefined)).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it('forgets one keepMs after it was recorded', () => {
    let now = T0;
    const tombstones = new SessionTombstones({ keepMs: 1_000, now: () => now });
    tombstones.record(ended('a', T0, T0), 'o');
    now = T0 + 600;
    tombstones.record(ended('b', T0, T0), 'o');
    now = T0 + 1_000;
    expect([tombstones.find('a', 'o')?.id, tombstones.find('b', 'o')?.id]).toEqual(['a', 'b']);
    now = T0 + 1_001;
    expect([tombstones.find('a', 'o')?.id, tombstones.find('b', 'o')?.id]).toEqual([undefined, 'b']);
    now = T0 + 1_601;
    expect(tombstones.find('b', 'o')).toBeUndefined();
    expect(tombstones.size).toBe(0);
  });
});

describe('SessionGoneError', () => {
  it('is 410 SESSION_CLOSED saying when it expired and how long it was idle, with the facts as details', () => {
    const tombstones = new SessionTombstones({ now: () => T0 });
    tombstones.record(ended('a', T0, T0 + 600_000), 'o');
    const gone = tombstones.find('a', 'o');
    if (!gone) throw new Error('no tombstone');
    const err = new SessionGoneError(gone, 'POST /v1/sessions');
    expect([err.code, ERROR_TABLE[err.code].http]).toEqual(['SESSION_CLOSED', 410]);
    expect(err.message).toBe(
      'session a expired at 2025-01-01T10:10:00.000Z after being idle for 10 min (its idle timeout, ' +
        'idleTimeoutMs, was 600000); its work dir is gone: create a new one with POST /v1/sessions',
    );
    expect(err.data['details']).toEqual(gone);
  });

  it('says who closed it when it did not expire', () => {
    const tombstones = new SessionTombstones({ now: () => T0 });
    tombstones.record(ended('b', T0, T0 + 2_500, false), 'o');
    const gone = tombstones.find('b', 'o');
    if (!gone) throw new Error('no tombstone');
    expect(new SessionGoneError(gone, 'session_create').message).toBe(
      'session b ended at 2025-01-01T10:00:02.500Z (closed by its owner), idle for 2.5 s before that; its ' +
        'work dir is gone: create a new one with session_create',
    );
  });
});

describe('humanDuration', () => {
  it('reads at the precision a person wants', () => {
    expect(
      [0, 1_049, 9_960, 12_400, 59_999, 60_000, 450_000, 3_600_000, 11_100_000].map(humanDuration),
    ).toEqual(['0 s', '1 s', '10 s', '12 s', '1 min', '1 min', '7 min 30 s', '1 h', '3 h 5 min']);
  });
});
