/**
 * One queue per user: a user's messages are handled one after another, in the order sent (a follow-up
 * needs the dataset its upload set), while different users' messages are handled at the same time, so
 * one long analysis does not hold up everyone else.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` after the tasks queued before it under `key`. `task` must not reject. */
  push(key: string, task: () => Promise<void>): void {
    const tail = (this.tails.get(key) ?? Promise.resolve()).then(task);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
  }

  /** Resolves when every queued task has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
