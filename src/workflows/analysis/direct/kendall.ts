/**
 * Kendall's tau-b and its two-sided p-value, computed as scipy.stats.kendalltau does in SciPy 1.10 (which
 * pandas' DataFrame.corr(method="kendall") calls): tie counts from dense ranks, discordant pairs by merge
 * sort (O(n log n)); the exact null distribution when neither side has ties and n <= 33 (or at most one
 * pair is out of order), else the normal approximation with the tie-corrected variance.
 */
import { normalTwoSided } from './distributions.js';

export interface KendallResult {
  /** NaN when undefined (fewer than two values, or a side with every value tied). */
  tau: number;
  p: number;
}

/** Dense ranks 1, 2, ... of `values` (equal values share a rank). */
function denseRanks(values: readonly number[]): number[] {
  const order = values.map((_, index) => index).sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
  const ranks = new Array<number>(values.length).fill(0);
  let rank = 0;
  order.forEach((index, at) => {
    if (at === 0 || values[index] !== values[order[at - 1] ?? 0]) rank += 1;
    ranks[index] = rank;
  });
  return ranks;
}

/** Pairs i < j with values[i] > values[j], counted while merge-sorting a copy. */
function inversions(values: readonly number[]): number {
  let current = [...values];
  let buffer = new Array<number>(values.length).fill(0);
  let count = 0;
  for (let width = 1; width < current.length; width *= 2) {
    for (let start = 0; start < current.length; start += 2 * width) {
      const middle = Math.min(start + width, current.length);
      const end = Math.min(start + 2 * width, current.length);
      let left = start;
      let right = middle;
      let out = start;
      while (left < middle && right < end) {
        if ((current[right] ?? 0) < (current[left] ?? 0)) {
          count += middle - left;
          buffer[out++] = current[right++] ?? 0;
        } else {
          buffer[out++] = current[left++] ?? 0;
        }
      }
      while (left < middle) buffer[out++] = current[left++] ?? 0;
      while (right < end) buffer[out++] = current[right++] ?? 0;
    }
    [current, buffer] = [buffer, current];
  }
  return count;
}

/** Sizes of the runs of equal keys in an already grouped sequence. */
function runLengths(keys: readonly string[]): number[] {
  const lengths: number[] = [];
  keys.forEach((key, index) => {
    if (index > 0 && key === keys[index - 1]) lengths[lengths.length - 1] = (lengths.at(-1) ?? 0) + 1;
    else lengths.push(1);
  });
  return lengths;
}

/** scipy's count_rank_tie: tied pairs, and the sums of t(t-1)(t-2) and t(t-1)(2t+5) over tie groups. */
function tieStatistics(ranks: readonly number[]): { pairs: number; cubic: number; variance: number } {
  const counts = new Map<number, number>();
  for (const rank of ranks) counts.set(rank, (counts.get(rank) ?? 0) + 1);
  let pairs = 0;
  let cubic = 0;
  let variance = 0;
  for (const count of counts.values()) {
    if (count < 2) continue;
    pairs += (count * (count - 1)) / 2;
    cubic += count * (count - 1) * (count - 2);
    variance += count * (count - 1) * (2 * count + 5);
  }
  return { pairs, cubic, variance };
}

function factorial(n: number): number {
  let product = 1n;
  for (let k = 2n; k <= BigInt(n); k += 1n) product *= k;
  return Number(product);
}

/**
 * The exact two-sided p-value for `concordant` concordant pairs among n values without ties (SciPy 1.10's
 * _kendall_p_exact): counts of permutations by number of inversions, built up one element at a time.
 */
function exactP(n: number, concordant: number): number {
  const total = (n * (n - 1)) / 2;
  const c = Math.min(concordant, total - concordant);
  if (n <= 2) return 1;
  if (c === 0) return n < 171 ? 2 / factorial(n) : 0;
  if (c === 1) return n < 172 ? 2 / factorial(n - 1) : 0;
  if (4 * c === n * (n - 1)) return 1;
  let counts = new Array<number>(c + 1).fill(0);
  counts[0] = 1;
  counts[1] = 1;
  for (let j = 3; j <= n; j += 1) {
    let running = 0;
    counts = counts.map((count) => (running += count));
    for (let k = c; k >= j; k -= 1) counts[k] = (counts[k] ?? 0) - (counts[k - j] ?? 0);
  }
  const probability = (2 * counts.reduce((sum, count) => sum + count, 0)) / factorial(n);
  return Math.min(1, Math.max(0, probability));
}

export function kendallTau(x: readonly number[], y: readonly number[]): KendallResult {
  const size = x.length;
  const yRanks = denseRanks(y);
  const order = x.map((_, index) => index);
  order.sort((a, b) => (x[a] ?? 0) - (x[b] ?? 0) || (yRanks[a] ?? 0) - (yRanks[b] ?? 0));
  const ySorted = order.map((index) => yRanks[index] ?? 0);
  const xRanks = denseRanks(x);
  const discordant = inversions(ySorted);
  const joint = runLengths(order.map((index) => `${xRanks[index] ?? 0},${yRanks[index] ?? 0}`));
  const jointTies = joint.reduce((sum, count) => sum + (count * (count - 1)) / 2, 0);
  const xTies = tieStatistics(xRanks);
  const yTies = tieStatistics(yRanks);
  const total = (size * (size - 1)) / 2;
  if (size === 0 || xTies.pairs === total || yTies.pairs === total) return { tau: NaN, p: NaN };

  const difference = total - xTies.pairs - yTies.pairs + jointTies - 2 * discordant;
  const tau = difference / Math.sqrt(total - xTies.pairs) / Math.sqrt(total - yTies.pairs);
  const clipped = Math.min(1, Math.max(-1, tau));
  const untied = xTies.pairs === 0 && yTies.pairs === 0;
  if (untied && (size <= 33 || Math.min(discordant, total - discordant) <= 1)) {
    return { tau: clipped, p: exactP(size, total - discordant) };
  }
  const m = size * (size - 1);
  const variance =
    (m * (2 * size + 5) - xTies.variance - yTies.variance) / 18 +
    (2 * xTies.pairs * yTies.pairs) / m +
    (xTies.cubic * yTies.cubic) / (9 * m * (size - 2));
  return { tau: clipped, p: normalTwoSided(difference / Math.sqrt(variance)) };
}
