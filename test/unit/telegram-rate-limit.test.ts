/** Per-user message limits: admitted up to the bucket, then one notice per refused stretch, per user. */
import { describe, expect, it } from 'vitest';
import { UserRateLimit } from '../../src/faces/telegram/user-rate-limit.js';

describe('UserRateLimit', () => {
  it('tells a user once when to try again, drops the rest silently, and tells again after a new stretch', () => {
    let now = 1_000_000;
    const limit = new UserRateLimit(2, () => now);
    expect(limit.admit('telegram:1')).toEqual({ admitted: true });
    expect(limit.admit('telegram:1')).toEqual({ admitted: true });
    const refused = limit.admit('telegram:1');
    expect(refused.admitted).toBe(false);
    // Two a minute refill one every 30 s.
    expect(!refused.admitted && refused.notice).toBe(
      'Too many requests: try again in 30 s (at most 2 messages a minute). Messages sent before then are ignored.',
    );
    now += 10_000;
    expect(limit.admit('telegram:1')).toEqual({ admitted: false, notice: null });
    expect(limit.admit('telegram:1')).toEqual({ admitted: false, notice: null });

    // Another user has a bucket of their own.
    expect(limit.admit('telegram:2')).toEqual({ admitted: true });

    now += 20_000;
    expect(limit.admit('telegram:1')).toEqual({ admitted: true });
    const again = limit.admit('telegram:1');
    expect(!again.admitted && again.notice).toMatch(/^Too many requests: try again in 30 s/);
  });
});
