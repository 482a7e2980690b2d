/**
 * The numbers of one box of a box plot, as matplotlib 3.6's cbook.boxplot_stats computes them with
 * whis=1.5 (and so as ax.bxp draws them): quartiles by linear interpolation (np.percentile, type 7),
 * whiskers at the most extreme values within 1.5 IQR of the box (never inside it), and the values beyond
 * the whiskers as outliers.
 */
import { ascending, quantileSorted } from './basic.js';

export const WHISKER_REACH = 1.5;

export interface BoxStats {
  n: number;
  q1: number;
  median: number;
  q3: number;
  iqr: number;
  whisker_low: number;
  whisker_high: number;
  /** Values below the low whisker or above the high one, ascending. */
  outliers: number[];
}

/** Box statistics of finite values (at least one). */
export function boxStats(values: readonly number[]): BoxStats {
  const sorted = ascending(values);
  const q1 = quantileSorted(sorted, 0.25);
  const median = quantileSorted(sorted, 0.5);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  const lowLimit = q1 - WHISKER_REACH * iqr;
  const highLimit = q3 + WHISKER_REACH * iqr;
  const lowest = sorted.find((value) => value >= lowLimit);
  const highest = sorted.findLast((value) => value <= highLimit);
  const whiskerLow = lowest === undefined || lowest > q1 ? q1 : lowest;
  const whiskerHigh = highest === undefined || highest < q3 ? q3 : highest;
  return {
    n: sorted.length,
    q1,
    median,
    q3,
    iqr,
    whisker_low: whiskerLow,
    whisker_high: whiskerHigh,
    outliers: sorted.filter((value) => value < whiskerLow || value > whiskerHigh),
  };
}
