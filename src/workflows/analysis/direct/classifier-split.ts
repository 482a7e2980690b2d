/**
 * The held-out split of train_classifier, defined so the sandboxed script (plain Python integers) and the
 * direct engine (BigInt) draw exactly the same test rows for a seed.
 *
 * Generator: splitmix64 (Steele, Lea and Flood 2014; Vigna's reference code): a 64-bit state that
 * advances by 0x9E3779B97F4A7C15 and is mixed into each output; `below(n)` is `next() mod n` (the modulo
 * bias, under n / 2^64, is irrelevant here and keeps both sides simple).
 *
 * Split: one generator seeded with `seed`; for each class in class order, that class's row numbers in
 * ascending order are shuffled by Fisher–Yates (for i = m − 1 down to 1: swap i with below(i + 1)), and
 * the first floor(test_size × m + 0.5) of them (at least 1 and at most m − 1 when m ≥ 2; none when the
 * class has a single row) go to the test set. Test and training rows are returned in ascending order.
 */

const MASK64 = (1n << 64n) - 1n;

export class SplitMix64 {
  private state: bigint;

  constructor(seed: bigint | number) {
    this.state = BigInt(seed) & MASK64;
  }

  /** The next 64-bit output. */
  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** An integer in [0, n): `next() mod n`. */
  below(n: number): number {
    return Number(this.next() % BigInt(n));
  }
}

/** How many of a class's `m` rows are held out for testing. */
export function testCount(testSize: number, m: number): number {
  if (m < 2) return 0;
  return Math.min(Math.max(Math.floor(testSize * m + 0.5), 1), m - 1);
}

export interface Split {
  /** Row numbers held out for testing, ascending. */
  test: number[];
  /** The other row numbers, ascending. */
  train: number[];
}

/**
 * The stratified split of `rows` (row numbers, ascending) whose class indices are `codes` (same order),
 * for classes 0..classCount − 1.
 */
export function stratifiedSplit(
  rows: readonly number[],
  codes: readonly number[],
  classCount: number,
  testSize: number,
  seed: number,
): Split {
  const random = new SplitMix64(seed);
  const test: number[] = [];
  for (let code = 0; code < classCount; code += 1) {
    const members = rows.filter((_, position) => codes[position] === code);
    for (let i = members.length - 1; i > 0; i -= 1) {
      const j = random.below(i + 1);
      [members[i], members[j]] = [members[j] ?? 0, members[i] ?? 0];
    }
    test.push(...members.slice(0, testCount(testSize, members.length)));
  }
  test.sort((a, b) => a - b);
  const held = new Set(test);
  return { test, train: rows.filter((row) => !held.has(row)) };
}
