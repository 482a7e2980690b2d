/**
 * The `boxplot` analysis: box plots of numeric columns, optionally one box for each group of a category;
 * the stats/boxplot script draws a PNG per column with matplotlib's own box statistics, and the same
 * statistics (quartiles, whiskers, outliers) are computed here.
 */
import { z } from 'zod';
import { parseOptions } from '../../../engine/options.js';
import { InvalidOptionsError } from '../../../errors.js';
import { boxStats } from '../direct/boxplot.js';
import {
  cellCounts,
  groupRows,
  isFiniteCell,
  numericColumns,
  requireCategory,
  requireNumeric,
} from '../direct/chart-columns.js';
import { MAX_CHARTS, chartCapNote, chartFileName } from '../direct/chart-files.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import { findColumn, isNumericColumn, type NumericColumn, type Table } from '../table.js';

const ParamsSchema = z.object({
  file: z.string(),
  columns: z.array(z.string()),
  by: z.string().nullable(),
});

const BoxSchema = z.object({
  group: z.string().nullable(),
  n: z.number(),
  q1: z.number(),
  median: z.number(),
  q3: z.number(),
  iqr: z.number(),
  whisker_low: z.number(),
  whisker_high: z.number(),
  outliers: z.array(z.number()),
});
type Box = z.infer<typeof BoxSchema>;

const ResultSchema = z.object({
  template: z.literal('stats/boxplot'),
  file: z.string(),
  rows: z.number(),
  by: z.string().nullable(),
  columns: z.array(
    z.object({ column: z.string(), missing: z.number(), infinite: z.number(), boxes: z.array(BoxSchema) }),
  ),
  charts: z.array(z.string()),
  note: z.string().nullable(),
  definitions: z.record(z.string(), z.string()),
});
type BoxplotResult = z.infer<typeof ResultSchema>;

const DEFINITIONS = {
  quartiles: "q1, median, q3 by linear interpolation (numpy 'linear', Hyndman-Fan type 7)",
  whiskers: "the most extreme values within 1.5 IQR of the box (matplotlib's whis=1.5)",
  outliers: 'values beyond the whiskers',
  groups: 'one box for each value of by with values, in sorted order; rows missing by are left out',
};

/** Box labels (null: the whole column) and each row's group label. */
interface BoxGroups {
  labels: (string | null)[];
  rowLabels: (string | null)[];
}

/** Boxes of one column: one for the whole column, or one for each group of `by` that has values. */
function boxesOf(column: NumericColumn, groups: BoxGroups): Box[] {
  return groups.labels.flatMap((label) => {
    const inside = column.values.filter(
      (value, row): value is number =>
        isFiniteCell(value) && (label === null || groups.rowLabels[row] === label),
    );
    return inside.length > 0 ? [{ group: label, ...boxStats(inside) }] : [];
  });
}

function direct(table: Table, params: Record<string, unknown>): BoxplotResult {
  const { file, columns, by } = parseOptions(ParamsSchema, params, 'boxplot parameters');
  const selected =
    columns.length > 0
      ? [...new Set(columns)].map((name) => requireNumeric(table, name, 'a box plot'))
      : numericColumns(table).filter((column) => column.name !== by);
  if (selected.length === 0) {
    const issue = 'the table has no numeric columns to draw';
    throw new InvalidOptionsError(issue, [issue]);
  }
  const groups: BoxGroups =
    by === null ? { labels: [null], rowLabels: [] } : groupRows(requireCategory(table, by));
  const taken = new Set<string>();
  const charts: string[] = [];
  const results = selected.map((column, index) => {
    const boxes = boxesOf(column, groups);
    if (index < MAX_CHARTS && boxes.length > 0) {
      charts.push(chartFileName(taken, ['boxplot', column.name, ...(by === null ? [] : ['by', by])]));
    }
    return { column: column.name, ...cellCounts(column), boxes };
  });
  return {
    template: 'stats/boxplot',
    file,
    rows: table.rowCount,
    by,
    columns: results,
    charts,
    note: chartCapNote(results.length),
    definitions: DEFINITIONS,
  };
}

function outlierText(outliers: readonly number[]): string {
  const shown = outliers.slice(0, 5).map(formatNumber).join(', ');
  return outliers.length > 5 ? `${outliers.length}: ${shown}, …` : shown || 'none';
}

function present(raw: Record<string, unknown>): Block[] {
  const result = ResultSchema.parse(raw);
  const blocks: Block[] = result.columns.map((entry) => {
    const infinite = entry.infinite > 0 ? `, infinite ${entry.infinite}` : '';
    return {
      kind: 'table',
      title: `${entry.column}${result.by === null ? '' : ` by ${result.by}`} (missing ${entry.missing}${infinite})`,
      columns: [result.by ?? 'column', 'n', 'q1', 'median', 'q3', 'whisker low', 'whisker high', 'outliers'],
      rows: entry.boxes.map((box) => [
        box.group ?? entry.column,
        formatNumber(box.n),
        formatNumber(box.q1),
        formatNumber(box.median),
        formatNumber(box.q3),
        formatNumber(box.whisker_low),
        formatNumber(box.whisker_high),
        outlierText(box.outliers),
      ]),
    };
  });
  if (result.note !== null) blocks.push({ kind: 'text', text: `Note: ${result.note}.` });
  const { quartiles, whiskers } = result.definitions;
  blocks.push({ kind: 'text', text: `Quartiles: ${quartiles ?? ''}. Whiskers: ${whiskers ?? ''}.` });
  return blocks;
}

export const boxplotAnalysis: AnalysisSpec = {
  name: 'boxplot',
  templateId: 'stats/boxplot',
  summary: 'box plots of numeric columns, optionally by a category: quartiles, whiskers, outliers',
  examples: ['/script boxplot price', '/script boxplot price district', 'show outliers of price by district'],
  keywords: ['boxplot', 'boxplots', 'box', 'whisker', 'whiskers', 'outlier', 'outliers'],
  charts: true,
  paramsFromColumns(columns, table) {
    const last = columns.at(-1);
    const lastColumn = last === undefined ? undefined : findColumn(table, last);
    if (lastColumn === undefined || isNumericColumn(lastColumn)) {
      for (const name of columns) requireNumeric(table, name, 'a box plot');
      return columns.length > 0 ? { columns } : {};
    }
    const plotted = columns.slice(0, -1);
    if (plotted.length === 0) {
      const issue = `name a numeric column to plot before the category, like /script boxplot <column> ${lastColumn.name}`;
      throw new InvalidOptionsError(issue, [issue]);
    }
    for (const name of plotted) requireNumeric(table, name, 'a box plot');
    return { columns: plotted, by: lastColumn.name };
  },
  direct,
  present,
};
