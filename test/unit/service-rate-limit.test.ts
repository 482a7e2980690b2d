/** The runs-per-minute token bucket and the quota's UTC day arithmetic, on a fake clock. */
import { describe, expect, test } from 'vitest';
import { secondsToNextUtcDay, utcDay } from '../../src/access/quota.js';
import { RateLimiter } from '../../src/access/rate-limit.js';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RateLimiter', () => {
  test('admits a minute of runs at once, then says how long until the next', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(clock.now);
    expect([1, 2, 3].map(() => limiter.take('a', 3))).toEqual([0, 0, 0]);
    // 3 a minute: one run every 20 s.
    expect(limiter.take('a', 3)).toBe(20);
    clock.advance(1_700);
    expect(limiter.take('a', 3)).toBe(19); // 18.3 s to go: rounded up, not to the nearest
    clock.advance(17_300);
    expect(limiter.take('a', 3)).toBe(1);
    clock.advance(999);
    expect(limiter.take('a', 3)).toBe(1); // 1 ms short still rounds up to a whole second
    clock.advance(1);
    expect(limiter.take('a', 3)).toBe(0);
    expect(limiter.take('a', 3)).toBe(20);
  });

  test('refills to the burst and no further', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(clock.now);
    expect(limiter.take('a', 2)).toBe(0);
    expect(limiter.take('a', 2)).toBe(0);
    clock.advance(3_600_000);
    expect([limiter.take('a', 2), limiter.take('a', 2), limiter.take('a', 2)]).toEqual([0, 0, 30]);
  });

  test('keeps one bucket per key, and rounds odd rates up to whole seconds', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(clock.now);
    for (let i = 0; i < 7; i += 1) expect(limiter.take('odd', 7)).toBe(0);
    expect(limiter.take('odd', 7)).toBe(9); // 60/7 = 8.57 s
    expect(limiter.take('other', 7)).toBe(0);
    expect(limiter.take('fast', 600)).toBe(0);
    for (let i = 0; i < 599; i += 1) limiter.take('fast', 600);
    expect(limiter.take('fast', 600)).toBe(1); // 100 ms is still "retry in 1 s", never 0
  });

  test('a clock stepping back does not drain the bucket', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(clock.now);
    expect(limiter.take('a', 1)).toBe(0);
    clock.advance(-30_000);
    expect(limiter.take('a', 1)).toBe(60);
    clock.advance(90_000);
    expect(limiter.take('a', 1)).toBe(0);
  });
});

describe('UTC days', () => {
  test('the day and the seconds until the next one', () => {
    const ms = Date.parse('2025-03-14T23:59:58.500Z');
    expect(utcDay(ms)).toBe('2025-03-14');
    expect(secondsToNextUtcDay(ms)).toBe(2);
    expect(utcDay(ms + 1500)).toBe('2025-03-15');
    expect(secondsToNextUtcDay(Date.parse('2025-03-15T00:00:00.000Z'))).toBe(86_400);
    expect(secondsToNextUtcDay(Date.parse('2024-12-31T12:00:00.000Z'))).toBe(43_200);
  });
});
