/**
 * The `scatter` analysis computed directly: the object templates/stats/scatter.py.njk prints (its chart is
 * not drawn here). The points are the rows where x and y are both finite; the least-squares line and
 * Pearson r come in the closed form the template uses: slope = Sxy / Sxx, intercept = mean(y) - slope *
 * mean(x), r = Sxy / (sqrt(Sxx) sqrt(Syy)) clamped to [-1, 1], with S the sums of products of deviations
 * from the means; with `by`, the points of each group.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import type { Table } from '../table.js';
import { isFiniteCell, mean, sum } from './basic.js';
import { chartFileName } from './chart-files.js';
import {
  groupRows,
  pythonText,
  requireColumns,
  requireGroupingColumn,
  requireNumeric,
  type Grouping,
} from './columns.js';

const ParamsSchema = z.object({
  file: z.string(),
  x: z.string(),
  y: z.string(),
  by: z.string().nullable(),
  line: z.boolean(),
});

export const SCATTER_DEFINITIONS = {
  n: 'rows where both x and y are finite numbers',
  fit: 'least squares: slope = Sxy / Sxx, intercept = mean(y) - slope * mean(x)',
  r: "Pearson's correlation coefficient",
  groups: 'points in each group of by, in sorted order; null: points whose by value is missing',
};

interface LineFit {
  /** null when x does not vary (or fewer than two pairs). */
  slope: number | null;
  intercept: number | null;
  /** null when x or y does not vary (or fewer than two pairs). */
  r: number | null;
}

function leastSquares(xs: readonly number[], ys: readonly number[]): LineFit {
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

/** Points of each group that has any, in the groups' order; the points without a group last, as null. */
function groupCounts(grouping: Grouping, drawn: ReadonlySet<number>): { group: string | null; n: number }[] {
  const points = (rows: readonly number[]): number => rows.filter((row) => drawn.has(row)).length;
  return [
    ...grouping.keys.map((key, index) => ({ group: pythonText(key), n: points(grouping.rows[index] ?? []) })),
    { group: null, n: points(grouping.ungrouped) },
  ].filter((group) => group.n > 0);
}

export function scatter(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const { file, x, y, by, line } = parseOptions(ParamsSchema, params, 'scatter parameters');
  requireColumns(table, by === null ? [x, y] : [x, y, by]);
  const xColumn = requireNumeric(table, x);
  const yColumn = requireNumeric(table, y);
  const byColumn = by === null ? null : requireGroupingColumn(table, by);
  const drawn: number[] = [];
  for (let row = 0; row < table.rowCount; row += 1) {
    if (isFiniteCell(xColumn.values[row]) && isFiniteCell(yColumn.values[row])) drawn.push(row);
  }
  const fit = leastSquares(
    drawn.map((row) => xColumn.values[row] ?? NaN),
    drawn.map((row) => yColumn.values[row] ?? NaN),
  );
  const parts = ['scatter', x, 'vs', y, ...(by === null ? [] : ['by', by])];
  return {
    template: 'stats/scatter',
    file,
    rows: table.rowCount,
    x,
    y,
    by,
    n: drawn.length,
    r: fit.r,
    fit:
      line && fit.slope !== null && fit.intercept !== null
        ? { slope: fit.slope, intercept: fit.intercept }
        : null,
    groups: byColumn === null ? null : groupCounts(groupRows(byColumn), new Set(drawn)),
    charts: [chartFileName(new Set(), parts)],
    definitions: SCATTER_DEFINITIONS,
  };
}
