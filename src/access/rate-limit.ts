/**
 * Runs per minute as token buckets, one per principal, in memory (a restart refills them, which costs
 * at most one minute's worth of runs; the daily CPU quota is the limit that persists).
 *
 * A bucket holds up to a minute's worth of runs (the burst) and refills continuously at `perMinute`
 * runs a minute. Levels are kept in integer units (a run costs 60 000 units, the refill is `perMinute`
 * units a millisecond), so with a millisecond clock the arithmetic is exact and a retry time computed
 * from it is never off by a rounding.
 */

const RUN_COST = 60_000;

interface Bucket {
  level: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number) {}

  /**
   * Takes one run from `key`'s bucket: 0 when it is admitted, else the whole seconds (at least 1) until
   * the bucket holds a run again. A refused run takes nothing.
   */
  take(key: string, perMinute: number): number {
    const now = this.now();
    const capacity = perMinute * RUN_COST;
    const bucket = this.buckets.get(key) ?? { level: capacity, at: now };
    // A clock that steps back (NTP, a test) refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - bucket.at);
    const level = Math.min(capacity, bucket.level + elapsed * perMinute);
    if (level >= RUN_COST) {
      this.buckets.set(key, { level: level - RUN_COST, at: now });
      return 0;
    }
    this.buckets.set(key, { level, at: now });
    const waitMs = Math.ceil((RUN_COST - level) / perMinute);
    return Math.max(1, Math.ceil(waitMs / 1000));
  }
}
