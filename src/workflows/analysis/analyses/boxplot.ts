/**
 * The `boxplot` analysis: box plots of numeric columns, optionally one box for each group of a category;
 * the stats/boxplot script draws a PNG per column with matplotlib's own box statistics, and the direct
 * engine (direct/boxplot.ts) computes the same statistics (quartiles, whiskers, outliers).
 */
import { z } from 'zod';
import { boxplot } from '../direct/boxplot.js';
import { requireColumns, requireNumeric } from '../direct/columns.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import { findColumn, isNumericColumn } from '../table.js';
import { CHART_RESULT_FIELDS, noteBlocks, undrawnText } from './chart-present.js';
import { failWithExample } from '../usage-example.js';

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

const ResultSchema = z.object({
  template: z.literal('stats/boxplot'),
  ...CHART_RESULT_FIELDS,
  by: z.string().nullable(),
  columns: z.array(
    z.object({ column: z.string(), missing: z.number(), infinite: z.number(), boxes: z.array(BoxSchema) }),
  ),
  note: z.string().nullable(),
});

function outlierText(outliers: readonly number[]): string {
  const shown = outliers.slice(0, 5).map(formatNumber).join(', ');
  return outliers.length > 5 ? `${outliers.length}: ${shown}, …` : shown || 'none';
}

function present(raw: Record<string, unknown>): Block[] {
  const result = ResultSchema.parse(raw);
  const blocks: Block[] = result.columns.map((entry) => ({
    kind: 'table',
    title: `${entry.column}${result.by === null ? '' : ` by ${result.by}`} (${undrawnText(entry)})`,
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
  }));
  blocks.push(...noteBlocks(result.note));
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
    requireColumns(table, columns);
    const last = columns.at(-1);
    const lastColumn = last === undefined ? undefined : findColumn(table, last);
    if (lastColumn === undefined || isNumericColumn(lastColumn)) {
      for (const name of columns) requireNumeric(table, name);
      return columns.length > 0 ? { columns } : {};
    }
    const plotted = columns.slice(0, -1);
    if (plotted.length === 0) {
      failWithExample('name a numeric column to plot before the category', {
        analysis: 'boxplot',
        columns: ['<column>', lastColumn.name],
      });
    }
    for (const name of plotted) requireNumeric(table, name);
    return { columns: plotted, by: lastColumn.name };
  },
  direct: boxplot,
  present,
};
