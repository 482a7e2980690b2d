/**
 * The `correlation` analysis computed directly: the object templates/stats/correlation.py.njk prints. The
 * coefficients follow pandas 1.5's DataFrame.corr arithmetic (Welford updates for Pearson, average ranks
 * of the pair's complete rows for Spearman, scipy's tau-b for Kendall), so a constant column gives an
 * undefined coefficient here exactly when it does there.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import type { NumericColumn, Table } from '../table.js';
import { averageRanks, isFiniteCell } from './basic.js';
import { fail, jsonNumber, namedOrNumeric, quoted, requireColumns, requireNumeric } from './columns.js';
import { studentTwoSided } from './distributions.js';
import { kendallTau } from './kendall.js';

export const CORRELATION_METHODS = ['pearson', 'spearman', 'kendall'] as const;
export type CorrelationMethod = (typeof CORRELATION_METHODS)[number];

const ParamsSchema = z.object({
  file: z.string(),
  columns: z.array(z.string()),
  method: z.enum(CORRELATION_METHODS),
});

const COEFFICIENTS: Record<CorrelationMethod, string> = {
  pearson: "Pearson's linear correlation coefficient r",
  spearman: "Spearman's rho: Pearson's r of the ranks, tied values get the average of their ranks",
  kendall:
    "Kendall's tau-b, adjusted for ties (scipy.stats.kendalltau); the diagonal is 1 " +
    'for every column with a value, as pandas has it',
};

const P_VALUES: Record<CorrelationMethod, string> = {
  pearson:
    'two-sided; t = r * sqrt((n - 2) / (1 - r^2)) on n - 2 degrees of freedom ' +
    '(as scipy.stats.pearsonr); null when n < 3',
  spearman:
    'two-sided; t = rho * sqrt((n - 2) / (1 - rho^2)) on n - 2 degrees of freedom ' +
    '(as scipy.stats.spearmanr); null when n < 3',
  kendall:
    'two-sided, scipy.stats.kendalltau (SciPy 1.10): exact when neither column has ties and ' +
    'n <= 33 (or at most one pair is out of order), else the normal approximation with the tie-corrected ' +
    'variance',
};

/** pandas' nancorr: Welford updates, so a constant column has exactly zero spread. */
function pearson(x: readonly number[], y: readonly number[]): number {
  let n = 0;
  let meanX = 0;
  let meanY = 0;
  let squaresX = 0;
  let squaresY = 0;
  let products = 0;
  x.forEach((vx, i) => {
    const vy = y[i] ?? NaN;
    n += 1;
    const dx = vx - meanX;
    const dy = vy - meanY;
    meanX += (1 / n) * dx;
    meanY += (1 / n) * dy;
    squaresX += (vx - meanX) * dx;
    squaresY += (vy - meanY) * dy;
    products += (vx - meanX) * dy;
  });
  const divisor = Math.sqrt(squaresX * squaresY);
  return n > 0 && divisor !== 0 ? products / divisor : NaN;
}

/** pandas' nancorr_spearman: Pearson's r of average ranks, centred on the mean rank (n + 1) / 2. */
function spearman(x: readonly number[], y: readonly number[]): number {
  const rankX = averageRanks(x);
  const rankY = averageRanks(y);
  const middle = (x.length + 1) / 2;
  let products = 0;
  let squaresX = 0;
  let squaresY = 0;
  rankX.forEach((rx, i) => {
    const vx = rx - middle;
    const vy = (rankY[i] ?? NaN) - middle;
    products += vx * vy;
    squaresX += vx * vx;
    squaresY += vy * vy;
  });
  const divisor = Math.sqrt(squaresX * squaresY);
  return x.length > 0 && divisor !== 0 ? products / divisor : NaN;
}

/** The two-sided p-value of r (or rho) on n rows, by the t statistic; NaN when undefined. */
function tTestP(r: number, n: number): number {
  if (n < 3 || !Number.isFinite(r)) return NaN;
  const clipped = Math.min(1, Math.max(-1, r));
  if (Math.abs(clipped) === 1) return 0;
  const t = clipped * Math.sqrt((n - 2) / ((1 - clipped) * (1 + clipped)));
  return studentTwoSided(t, n - 2);
}

interface PairResult {
  r: number;
  p: number;
  n: number;
}

function correlate(method: CorrelationMethod, a: NumericColumn, b: NumericColumn): PairResult {
  const x: number[] = [];
  const y: number[] = [];
  a.values.forEach((value, row) => {
    const other = b.values[row] ?? null;
    if (isFiniteCell(value) && isFiniteCell(other)) {
      x.push(value);
      y.push(other);
    }
  });
  const n = x.length;
  if (method === 'kendall') {
    // pandas sets the diagonal to 1 without calling kendalltau, even for a constant column.
    if (a === b) return { r: n > 0 ? 1 : NaN, p: NaN, n };
    const { tau, p } = kendallTau(x, y);
    return { r: tau, p, n };
  }
  const r = method === 'pearson' ? pearson(x, y) : spearman(x, y);
  return { r, p: tTestP(r, n), n };
}

/** Sort key of a pair: strongest first, |r| rounded to 12 decimals, undefined ones last. */
function strength(r: number): number {
  return Number.isFinite(r) ? -Number(Math.abs(r).toFixed(12)) : 1;
}

export function correlation(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const { file, columns: wanted, method } = parseOptions(ParamsSchema, params, 'correlation parameters');
  requireColumns(table, wanted);
  for (const name of wanted) requireNumeric(table, name);
  const names = namedOrNumeric(table, wanted);
  if (names.length < 2) {
    fail(`a correlation needs at least two numeric columns; it has ${quoted(names) || 'none'}`);
  }
  const columns = names.map((name) => requireNumeric(table, name));
  const results = columns.map((a, i) => columns.map((b, j) => (j >= i ? correlate(method, a, b) : null)));
  const at = (i: number, j: number): PairResult | undefined =>
    (i <= j ? results[i]?.[j] : results[j]?.[i]) ?? undefined;

  const pairs = names.flatMap((x, i) =>
    names.slice(i + 1).map((y, offset) => {
      const pair = at(i, i + 1 + offset);
      return { x, y, r: pair?.r ?? NaN, p: pair?.p ?? NaN, n: pair?.n ?? 0 };
    }),
  );
  pairs.sort((first, second) => strength(first.r) - strength(second.r));

  return {
    template: 'stats/correlation',
    file,
    method,
    rows: table.rowCount,
    columns: names,
    matrix: Object.fromEntries(
      names.map((x, i) => [x, Object.fromEntries(names.map((y, j) => [y, jsonNumber(at(i, j)?.r ?? NaN)]))]),
    ),
    pairs: pairs.map((pair) => ({ ...pair, r: jsonNumber(pair.r), p: jsonNumber(pair.p) })),
    definitions: {
      coefficient: COEFFICIENTS[method],
      missing:
        'pairwise complete: each pair uses the rows where both columns have a finite value ' +
        '(as pandas DataFrame.corr); n is how many',
      pairs:
        'every pair of columns, strongest first by |r| (rounded to 12 decimals; equal ones in ' +
        'column order, undefined ones last)',
      p: P_VALUES[method],
      null: 'a coefficient or p-value that is undefined (a constant column, too few rows) is null',
    },
  };
}
