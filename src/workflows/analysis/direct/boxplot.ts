/**
 * The `boxplot` analysis computed directly: the object templates/stats/boxplot.py.njk prints (its charts
 * are not drawn here). Each box's numbers are those matplotlib 3.6's cbook.boxplot_stats computes with
 * whis=1.5 (and so ax.bxp draws): quartiles by linear interpolation (np.percentile, type 7), whiskers at
 * the most extreme values within 1.5 IQR of the box (never inside it), and the values beyond the whiskers
 * as outliers. A box per column, or with `by` a box per group that has finite values.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import type { NumericColumn, Table } from '../table.js';
import { ascending, cellCounts, isFiniteCell, quantileSorted } from './basic.js';
import { MAX_CHARTS, chartCapNote, chartFileName } from './chart-files.js';
import {
  fail,
  groupRows,
  namedOrNumeric,
  pythonText,
  requireColumns,
  requireGroupingColumn,
  requireNumeric,
} from './columns.js';

const WHISKER_REACH = 1.5;

const ParamsSchema = z.object({ file: z.string(), columns: z.array(z.string()), by: z.string().nullable() });

export const BOXPLOT_DEFINITIONS = {
  quartiles: "q1, median, q3 by linear interpolation (numpy 'linear', Hyndman-Fan type 7)",
  whiskers: "the most extreme values within 1.5 IQR of the box (matplotlib's whis=1.5)",
  outliers: 'values beyond the whiskers',
  groups: 'one box for each value of by with values, in sorted order; rows missing by are left out',
};

interface BoxStats {
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
function boxStats(values: readonly number[]): BoxStats {
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

/** The boxes' labels (null: the whole column) and the rows of each. */
interface Boxes {
  labels: (string | null)[];
  rows: number[][];
}

/** One box for the whole column without `by`; with it, one for each of its values. */
function boxesBy(table: Table, by: string | null): Boxes {
  if (by === null) return { labels: [null], rows: [Array.from({ length: table.rowCount }, (_, row) => row)] };
  const grouping = groupRows(requireGroupingColumn(table, by));
  return { labels: grouping.keys.map(pythonText), rows: grouping.rows };
}

/** One box for each of `boxes` in which the column has finite values. */
function boxesOf(column: NumericColumn, boxes: Boxes): ({ group: string | null } & BoxStats)[] {
  return boxes.labels.flatMap((label, index) => {
    const inside = (boxes.rows[index] ?? []).map((row) => column.values[row]).filter(isFiniteCell);
    return inside.length > 0 ? [{ group: label, ...boxStats(inside) }] : [];
  });
}

export function boxplot(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const { file, columns, by } = parseOptions(ParamsSchema, params, 'boxplot parameters');
  requireColumns(table, by === null ? columns : [...columns, by]);
  for (const name of columns) requireNumeric(table, name);
  const names = namedOrNumeric(table, columns, by);
  if (names.length === 0) fail('the table has no numeric columns to draw');
  const boxes = boxesBy(table, by);
  const taken = new Set<string>();
  const charts: string[] = [];
  const results = names.map((name, index) => {
    const column = requireNumeric(table, name);
    const columnBoxes = boxesOf(column, boxes);
    if (index < MAX_CHARTS && columnBoxes.length > 0) {
      charts.push(chartFileName(taken, ['boxplot', name, ...(by === null ? [] : ['by', by])]));
    }
    return { column: name, ...cellCounts(column), boxes: columnBoxes };
  });
  return {
    template: 'stats/boxplot',
    file,
    rows: table.rowCount,
    by,
    columns: results,
    charts,
    note: chartCapNote(results.length),
    definitions: BOXPLOT_DEFINITIONS,
  };
}
