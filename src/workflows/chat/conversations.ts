/**
 * The conversations a chat engine holds, by id: each one's messages are handled one at a time, in order
 * of arrival, and at most `max` conversations are kept. When a new one would exceed that, the least
 * recently used conversation with nothing in progress is closed and forgotten (its user sends the data
 * again); busy ones are never evicted, so the bound can be passed briefly while all of them work.
 */
import { ScriptboxError } from '../../errors.js';

export interface Closable {
  close(): Promise<void>;
}

interface Entry<T> {
  value: T;
  /** Settles when the last queued message of this conversation is done. */
  tail: Promise<void>;
  /** Messages queued or in progress. */
  busy: number;
}

export class ConversationStore<T extends Closable> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly closing = new Set<Promise<void>>();
  private closed: Promise<void> | null = null;

  constructor(
    private readonly max: number,
    private readonly create: () => T,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Runs `work` on conversation `id` (created on first use) after its earlier messages are done. */
  run<R>(id: string, work: (conversation: T) => Promise<R>): Promise<R> {
    if (this.closed !== null) {
      return Promise.reject(
        new ScriptboxError('ENGINE_CLOSED', 'this chat engine is closed; create a new one'),
      );
    }
    const entry = this.entries.get(id) ?? { value: this.create(), tail: Promise.resolve(), busy: 0 };
    // Map order is recency order: the entry moves to the end.
    this.entries.delete(id);
    this.entries.set(id, entry);
    entry.busy += 1;
    this.evict();
    const done = entry.tail.then(() => work(entry.value));
    entry.tail = done.then(
      () => void (entry.busy -= 1),
      () => void (entry.busy -= 1),
    );
    return done;
  }

  /**
   * Closes every conversation and refuses new messages; resolves once the messages in progress have
   * ended too (closing a conversation cuts its work short, as closing a session cancels its run).
   * Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const entries = [...this.entries.values()];
      this.entries.clear();
      await Promise.all([...entries.map((entry) => entry.value.close()), ...this.closing]);
      await Promise.all(entries.map((entry) => entry.tail));
    })();
    return this.closed;
  }

  private evict(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.max) return;
      if (entry.busy > 0) continue;
      this.entries.delete(id);
      const closing = entry.value.close().finally(() => this.closing.delete(closing));
      this.closing.add(closing);
    }
  }
}
