/**
 * Shared arithmetic of the direct engine, with the definitions the templates state: sample statistics
 * use divisor n - 1; quantiles interpolate linearly between order statistics (numpy "linear", Hyndman-Fan
 * type 7); ranks give tied values the average of the ranks they span. Sums are compensated (Neumaier),
 * so results agree with numpy's pairwise sums to well within 1e-9 relative. Also which numeric cells
 * count: missing (empty or NaN), infinite, finite.
 */
import type { NumericColumn } from '../table.js';

/** Neumaier-compensated sum. */
export function sum(values: readonly number[]): number {
  let total = 0;
  let compensation = 0;
  for (const value of values) {
    const next = total + value;
    compensation += Math.abs(total) >= Math.abs(value) ? total - next + value : value - next + total;
    total = next;
  }
  // With an infinity the compensation is NaN (inf - inf); the plain sum is the answer then.
  return Number.isFinite(total) ? total + compensation : total;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : sum(values) / values.length;
}

/** Variance with divisor n - ddof, two-pass (as numpy and pandas compute it). */
export function variance(values: readonly number[], ddof = 1): number {
  const n = values.length;
  if (n - ddof <= 0) return NaN;
  const m = mean(values);
  return sum(values.map((value) => (value - m) ** 2)) / (n - ddof);
}

export function std(values: readonly number[], ddof = 1): number {
  return Math.sqrt(variance(values, ddof));
}

export function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Quantile q of already sorted values, linear interpolation (type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  const lowValue = sorted[low] ?? NaN;
  const highValue = sorted[high] ?? NaN;
  const fraction = at - low;
  // numpy 1.24's _lerp, bit for bit: from the low end below the midpoint, from the high end above it.
  const difference = highValue - lowValue;
  return fraction >= 0.5 ? highValue - difference * (1 - fraction) : lowValue + difference * fraction;
}

export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(ascending(values), q);
}

/** 1-based ranks; ties get the average of the ranks they span (pandas rank(method="average")). */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length).fill(0);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]?.value === order[start]?.value) end += 1;
    const rank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i += 1) ranks[order[i]?.index ?? 0] = rank;
    start = end + 1;
  }
  return ranks;
}

/** The non-missing values of a numeric column. */
export function present(column: NumericColumn): number[] {
  return column.values.filter((value): value is number => value !== null && !Number.isNaN(value));
}

/** A cell that holds a finite number (not missing, NaN or infinite). */
export function isFiniteCell(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export interface CellCounts {
  /** Empty or NaN cells. */
  missing: number;
  /** Cells holding inf or -inf. */
  infinite: number;
}

export function cellCounts(column: NumericColumn): CellCounts {
  let missing = 0;
  let infinite = 0;
  for (const value of column.values) {
    if (value === null || Number.isNaN(value)) missing += 1;
    else if (!Number.isFinite(value)) infinite += 1;
  }
  return { missing, infinite };
}
