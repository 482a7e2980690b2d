/**
 * Warm sandboxes: a few started ahead per runtime, so a one-shot run finds one already confined and
 * waiting and pays neither bwrap's start-up, the interpreter's, nor the kernel's cgroup migration.
 * Each sandbox serves one run and is destroyed after it; the pool refills in the background.
 */
import type { Sandbox } from '../sandbox/sandbox.js';

export class WarmPool {
  private readonly idle = new Map<string, Sandbox[]>();
  private readonly starting = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  /**
   * @param size sandboxes kept ready per key (0 disables the pool)
   * @param start starts a sandbox for a key; failures leave the pool short until the next take()
   */
  constructor(
    private readonly size: number,
    private readonly start: (key: string) => Promise<Sandbox>,
    private readonly onReady: (key: string, ready: number) => void = () => undefined,
  ) {}

  /**
   * An idle sandbox for `key`, or null. The caller calls refill() once its run is over, so starting the
   * replacement (a synchronous spawn, then a cgroup migration) never competes with the run itself.
   */
  take(key: string): Sandbox | null {
    const ready = this.idle.get(key) ?? [];
    while (ready.length > 0) {
      const candidate = ready.shift();
      if (candidate?.idle) return candidate;
      if (candidate) this.track(candidate.destroy());
    }
    return null;
  }

  /** Starts what is missing for `key` and resolves once as many sandboxes as the pool holds are ready. */
  async fill(key: string): Promise<void> {
    this.refill(key);
    while (!this.closed && (this.idle.get(key)?.filter((s) => s.idle).length ?? 0) < this.size) {
      if ((this.starting.get(key) ?? 0) === 0) this.refill(key);
      await Promise.race([...this.pending]);
    }
  }

  /** Starts sandboxes in the background until `key` has its share again. */
  refill(key: string): void {
    if (this.closed) return;
    const have = (this.idle.get(key)?.length ?? 0) + (this.starting.get(key) ?? 0);
    for (let missing = this.size - have; missing > 0; missing--) {
      this.starting.set(key, (this.starting.get(key) ?? 0) + 1);
      const started = this.start(key).then(
        (sandbox) => {
          if (this.closed) return sandbox.destroy();
          const ready = [...(this.idle.get(key) ?? []), sandbox];
          this.idle.set(key, ready);
          this.onReady(key, ready.length);
          return undefined;
        },
        () => undefined, // the next run starts its own sandbox and reports why it could not
      );
      this.track(
        started
          .finally(() => this.starting.set(key, (this.starting.get(key) ?? 1) - 1))
          .then(() => undefined),
      );
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined);
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Destroys every idle sandbox and waits for sandboxes still starting. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((sandbox) => sandbox.destroy()));
  }
}
