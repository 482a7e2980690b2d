/**
 * Messages per minute per Telegram user (the service's token buckets, src/access/rate-limit.ts). A user
 * over the limit is told once when to try again; further messages in the same refused stretch are
 * dropped without an answer, so flooding the bot does not make it flood back.
 */
import { RateLimiter } from '../../access/rate-limit.js';

export const DEFAULT_MESSAGES_PER_MINUTE = 20;

/** Admitted, or refused with the notice to send (null: the user was already told). */
export type Admission = { admitted: true } | { admitted: false; notice: string | null };

export class UserRateLimit {
  private readonly limiter: RateLimiter;
  private readonly told = new Set<string>();

  constructor(
    private readonly perMinute: number,
    now: () => number = Date.now,
  ) {
    this.limiter = new RateLimiter(now);
  }

  admit(user: string): Admission {
    const waitSeconds = this.limiter.take(user, this.perMinute);
    if (waitSeconds === 0) {
      this.told.delete(user);
      return { admitted: true };
    }
    if (this.told.has(user)) return { admitted: false, notice: null };
    this.told.add(user);
    return {
      admitted: false,
      notice:
        `Too many requests: try again in ${waitSeconds} s (at most ${this.perMinute} messages a ` +
        'minute). Messages sent before then are ignored.',
    };
  }
}
