/**
 * Histograms exactly as numpy 1.24 makes them, so the direct engine draws the same bars as the script:
 * the bin count of np.histogram_bin_edges (a given count, or the rules "auto", "fd" and "sturges"), edges
 * as np.linspace computes them, and np.histogram's bin assignment (bins are [edge_i, edge_i+1), the last
 * one includes its right edge).
 */
import { ascending, quantileSorted } from './basic.js';

export const BIN_RULES = ['auto', 'fd', 'sturges'] as const;
export type BinRule = (typeof BIN_RULES)[number];

export interface Histogram {
  edges: number[];
  counts: number[];
}

/** Sturges: range / (log2(n) + 1). */
function sturgesWidth(sorted: readonly number[]): number {
  return ((sorted.at(-1) ?? 0) - (sorted[0] ?? 0)) / (Math.log2(sorted.length) + 1);
}

/** Freedman–Diaconis: 2 IQR n^(-1/3); 0 when the IQR is 0. */
function fdWidth(sorted: readonly number[]): number {
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  return 2 * iqr * sorted.length ** (-1 / 3);
}

/** numpy's "auto": the smaller of the fd and Sturges widths, Sturges alone when the fd width is 0. */
function ruleWidth(sorted: readonly number[], rule: BinRule): number {
  if (rule === 'sturges') return sturgesWidth(sorted);
  const fd = fdWidth(sorted);
  if (rule === 'fd') return fd;
  return fd !== 0 ? Math.min(fd, sturgesWidth(sorted)) : sturgesWidth(sorted);
}

/** The outer edges: smallest and largest value, widened by 0.5 each way when equal; 0 and 1 for no values. */
function outerEdges(sorted: readonly number[]): [number, number] {
  if (sorted.length === 0) return [0, 1];
  const first = sorted[0] ?? 0;
  const last = sorted.at(-1) ?? 0;
  return first === last ? [first - 0.5, last + 0.5] : [first, last];
}

/** np.linspace(first, last, count + 1): i * step + first, the last edge exactly `last`. */
function linspace(first: number, last: number, count: number): number[] {
  const step = (last - first) / count;
  const edges = Array.from({ length: count + 1 }, (_, i) => i * step + first);
  edges[count] = last;
  return edges;
}

/** np.histogram's equal-width path: an index from the scaled offset, corrected by one against the edges. */
function countInto(values: readonly number[], edges: readonly number[]): number[] {
  const count = edges.length - 1;
  const first = edges[0] ?? 0;
  const norm = count / ((edges[count] ?? 0) - first);
  const counts = new Array<number>(count).fill(0);
  for (const value of values) {
    let index = Math.trunc((value - first) * norm);
    if (index === count) index -= 1;
    if (value < (edges[index] ?? -Infinity)) index -= 1;
    else if (value >= (edges[index + 1] ?? Infinity) && index !== count - 1) index += 1;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/** How many bins np.histogram_bin_edges makes for `bins` (a count or a rule) over these finite values. */
export function binCount(values: readonly number[], bins: BinRule | number): number {
  if (typeof bins === 'number') return bins;
  if (values.length === 0) return 1;
  const sorted = ascending(values);
  const width = ruleWidth(sorted, bins);
  const [first, last] = outerEdges(sorted);
  return width !== 0 ? Math.ceil((last - first) / width) : 1;
}

/** np.histogram(values, bins=count) over finite values: `count` equal-width bins from min to max. */
export function equalWidthHistogram(values: readonly number[], count: number): Histogram {
  const [first, last] = outerEdges(ascending(values));
  const edges = linspace(first, last, count);
  return { edges, counts: countInto(values, edges) };
}
