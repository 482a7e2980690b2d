/**
 * The least-squares line and Pearson r of paired values, in the closed form the scatter template uses:
 * slope = Sxy / Sxx, intercept = mean(y) - slope * mean(x), r = Sxy / (sqrt(Sxx) sqrt(Syy)) clamped to
 * [-1, 1], with S the sums of products of deviations from the means.
 */
import { mean, sum } from './basic.js';

export interface LineFit {
  /** null when x does not vary (or fewer than two pairs). */
  slope: number | null;
  intercept: number | null;
  /** null when x or y does not vary (or fewer than two pairs). */
  r: number | null;
}

export function leastSquares(xs: readonly number[], ys: readonly number[]): LineFit {
  if (xs.length < 2) return { slope: null, intercept: null, r: null };
  const meanX = mean(xs);
  const meanY = mean(ys);
  const dx = xs.map((x) => x - meanX);
  const dy = ys.map((y) => y - meanY);
  const sxx = sum(dx.map((d) => d * d));
  const syy = sum(dy.map((d) => d * d));
  const sxy = sum(dx.map((d, i) => d * (dy[i] ?? NaN)));
  const slope = sxx > 0 ? sxy / sxx : null;
  const r = sxx > 0 && syy > 0 ? Math.max(-1, Math.min(1, sxy / (Math.sqrt(sxx) * Math.sqrt(syy)))) : null;
  return { slope, intercept: slope === null ? null : meanY - slope * meanX, r };
}
