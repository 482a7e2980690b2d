/**
 * What the server has under way: runs (each with an AbortSignal that fires when its client goes away or
 * the shutdown grace period ends) and sessions (each owned by the principal that created it).
 */
import { EventEmitter, once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Session } from '../../engine/session.js';
import { SessionGoneError, SessionTombstones } from '../../engine/session-tombstones.js';
import type { Principal } from '../../access/guard-types.js';
import { ScriptboxError } from '../../errors.js';

/** How long, after the runs, the shutdown waits for other requests to be answered. */
const REQUEST_DRAIN_MS = 5_000;

export class InFlight {
  private readonly running = new Map<Promise<unknown>, AbortController>();
  private cancelled = false;
  private requests = 0;
  private readonly idle = new EventEmitter();

  get size(): number {
    return this.running.size;
  }

  /**
   * Runs `work` with a signal that aborts when the client disconnects before its answer is written, or when
   * cancelAll() is called (at once if it already was).
   */
  async run<T>(reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    if (this.cancelled) controller.abort();
    const onClose = (): void => {
      if (!reply.raw.writableFinished) controller.abort();
    };
    reply.raw.on('close', onClose);
    const promise = work(controller.signal);
    this.running.set(promise, controller);
    try {
      return await promise;
    } finally {
      this.running.delete(promise);
      reply.raw.off('close', onClose);
    }
  }

  /** Counts a request as under way until its response closes (sent, or its client gone). */
  trackRequest(res: ServerResponse): void {
    this.requests += 1;
    res.once('close', () => {
      this.requests -= 1;
      if (this.requests === 0) this.idle.emit('idle');
    });
  }

  /**
   * Waits for the runs under way, cancelling what still runs after `graceMs`, then for the other requests
   * to be answered (at most REQUEST_DRAIN_MS more: a hung request must not hold the shutdown).
   */
  async drain(graceMs: number): Promise<void> {
    const timer = setTimeout(() => this.cancelAll(), graceMs);
    try {
      while (this.running.size > 0) await Promise.allSettled([...this.running.keys()]);
    } finally {
      clearTimeout(timer);
    }
    if (this.requests === 0) return;
    const idle = once(this.idle, 'idle');
    const late = new Promise((resolve) => setTimeout(resolve, REQUEST_DRAIN_MS).unref());
    await Promise.race([idle, late]);
  }

  /** Cancels every run under way and every later one. */
  cancelAll(): void {
    this.cancelled = true;
    for (const controller of this.running.values()) controller.abort();
  }
}

/** A principal's identity for ownership: its token, or its name when there are no tokens. */
export function ownerKey(principal: Principal): string {
  return principal.tokenId !== null ? `token:${principal.tokenId}` : `name:${principal.name}`;
}

export class SessionStore {
  private readonly sessions = new Map<string, { session: Session; owner: string }>();
  /** Sessions that ended recently: a call to one is 410 saying how and when, not a bare 404. */
  private readonly tombstones = new SessionTombstones();

  constructor(private readonly maxPerPrincipal: number) {}

  /** Throws RATE_LIMITED when `principal` already has the most sessions it may have open. */
  checkRoom(principal: Principal): void {
    this.prune();
    const owner = ownerKey(principal);
    const open = [...this.sessions.values()].filter((entry) => entry.owner === owner).length;
    if (open >= this.maxPerPrincipal) {
      throw new ScriptboxError(
        'RATE_LIMITED',
        `${open} sessions are open for this caller (the most this server allows); close one with DELETE /v1/sessions/<id>`,
      );
    }
  }

  add(session: Session, principal: Principal): void {
    this.sessions.set(session.id, { session, owner: ownerKey(principal) });
  }

  /** The open sessions `principal` owns, oldest first. */
  list(principal: Principal): Session[] {
    this.prune();
    const owner = ownerKey(principal);
    return [...this.sessions.values()].filter((entry) => entry.owner === owner).map((entry) => entry.session);
  }

  /**
   * The session `id` if `principal` owns it and it is open; SESSION_CLOSED (410) if it was theirs and ended
   * recently; SESSION_NOT_FOUND otherwise (also for others', open or ended).
   */
  get(id: string, principal: Principal): Session {
    this.prune();
    const entry = this.sessions.get(id);
    if (!entry || entry.owner !== ownerKey(principal)) {
      const gone = this.tombstones.find(id, ownerKey(principal));
      if (gone) throw new SessionGoneError(gone, 'POST /v1/sessions');
      throw new ScriptboxError(
        'SESSION_NOT_FOUND',
        `no session ${id} for this caller (never one of its sessions, or it ended over a day ago); ` +
          'create one with POST /v1/sessions',
      );
    }
    return entry.session;
  }

  async close(id: string, principal: Principal): Promise<void> {
    const session = this.get(id, principal);
    this.sessions.delete(id);
    const closing = session.close();
    // At once (close() marks it closed before it awaits): a call racing the close gets 410, not 404.
    this.tombstones.record(session.info(), ownerKey(principal));
    await closing;
  }

  async closeAll(reason: string): Promise<void> {
    const all = [...this.sessions.values()].map((entry) => entry.session);
    this.sessions.clear();
    await Promise.allSettled(all.map((session) => session.close(reason)));
  }

  /** Moves the sessions that ended on their own (idle timeout, sandbox gone) to the tombstones. */
  private prune(): void {
    for (const [id, entry] of this.sessions) {
      if (!entry.session.closed) continue;
      this.sessions.delete(id);
      this.tombstones.record(entry.session.info(), entry.owner);
    }
  }
}
