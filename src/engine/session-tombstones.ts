/**
 * Recently ended sessions, so that a call to one is answered "it expired at T after being idle for N"
 * (HTTP 410, SESSION_CLOSED) instead of "no such session" (404, what an id never seen still gets). Bounded
 * in count and age: a server that has ended millions of sessions keeps only the newest.
 */
import { ScriptboxError } from '../errors.js';
import type { SessionInfo } from './session-info.js';

export const DEFAULT_TOMBSTONES = 10_000;
export const DEFAULT_TOMBSTONE_MS = 24 * 3_600_000;

/** What a caller is told about a session that has ended (the `details` of its 410 answer). */
export interface SessionGone {
  id: string;
  language: string;
  reason: string;
  /** True when its idle timeout ended it. */
  expired: boolean;
  createdAt: string;
  lastUsedAt: string;
  endedAt: string;
  /** How long it had been idle when it ended. */
  idleMs: number;
  idleTimeoutMs: number;
}

interface Tombstone {
  gone: SessionGone;
  owner: string;
  recordedAt: number;
}

export interface TombstoneOpts {
  /** Most ended sessions remembered (the oldest are forgotten first); default 10 000. */
  maxEntries?: number;
  /** How long one is remembered; default 24 h. */
  keepMs?: number;
  now?: () => number;
}

/** 12.5 s, 7 min 30 s, 3 h 5 min: how long, at the precision a person reads it. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1_000;
  if (seconds < 9.95) return `${Number(seconds.toFixed(1))} s`;
  if (seconds < 59.5) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min${total % 60 > 0 ? ` ${total % 60} s` : ''}`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 > 0 ? ` ${minutes % 60} min` : ''}`;
}

/** The session is gone: expired, closed, or its sandbox died. `create` says how to start a new one. */
export class SessionGoneError extends ScriptboxError {
  constructor(gone: SessionGone, create: string) {
    const when = gone.expired
      ? `expired at ${gone.endedAt} after being idle for ${humanDuration(gone.idleMs)} ` +
        `(its idle timeout, idleTimeoutMs, was ${gone.idleTimeoutMs})`
      : `ended at ${gone.endedAt} (${gone.reason}), idle for ${humanDuration(gone.idleMs)} before that`;
    super(
      'SESSION_CLOSED',
      `session ${gone.id} ${when}; its work dir is gone: create a new one with ${create}`,
      {
        data: { details: gone },
      },
    );
  }
}

export class SessionTombstones {
  private readonly ended = new Map<string, Tombstone>();
  private readonly maxEntries: number;
  private readonly keepMs: number;
  private readonly now: () => number;

  constructor(opts: TombstoneOpts = {}) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_TOMBSTONES;
    this.keepMs = opts.keepMs ?? DEFAULT_TOMBSTONE_MS;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.ended.size;
  }

  /** Remembers how a session ended, from its info() once closed, for `owner` only. */
  record(info: SessionInfo, owner: string): void {
    const endedAt = info.ended?.at ?? new Date(this.now()).toISOString();
    const gone: SessionGone = {
      id: info.id,
      language: info.language,
      reason: info.ended?.reason ?? 'closed',
      expired: info.ended?.expired ?? false,
      createdAt: info.createdAt,
      lastUsedAt: info.lastUsedAt,
      endedAt,
      idleMs: Math.max(0, Date.parse(endedAt) - Date.parse(info.lastUsedAt)),
      idleTimeoutMs: info.idleTimeoutMs,
    };
    // Re-inserted at the end: the map's order is the order they ended in, oldest first.
    this.ended.delete(info.id);
    this.ended.set(info.id, { gone, owner, recordedAt: this.now() });
    this.forgetOld();
  }

  /** How `id` ended, if it did recently and `owner` owned it (else undefined, as for an id never seen). */
  find(id: string, owner: string): SessionGone | undefined {
    this.forgetOld();
    const tombstone = this.ended.get(id);
    return tombstone?.owner === owner ? tombstone.gone : undefined;
  }

  private forgetOld(): void {
    const oldest = this.now() - this.keepMs;
    for (const [id, tombstone] of this.ended) {
      if (this.ended.size <= this.maxEntries && tombstone.recordedAt >= oldest) break;
      this.ended.delete(id);
    }
  }
}
