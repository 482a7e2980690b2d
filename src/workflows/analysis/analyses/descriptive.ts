/**
 * The `descriptive` analysis: count, missing, mean, sample std, min, quantiles and max of numeric columns,
 * distinct values and the most frequent one of text and true/false columns (stats/descriptive).
 */
import { descriptive } from '../direct/descriptive.js';
import { requireColumns, unique } from '../direct/columns.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';

type Stats = Record<string, unknown>;

function numericTable(columns: Record<string, Stats>): Block | null {
  const names = Object.keys(columns);
  if (names.length === 0) return null;
  const quantileKeys = Object.keys((columns[names[0] ?? '']?.quantiles as Stats | undefined) ?? {});
  return {
    kind: 'table',
    title: 'Numeric columns',
    columns: ['column', 'count', 'missing', 'mean', 'std', 'min', ...quantileKeys, 'max'],
    rows: names.map((name) => {
      const stats = columns[name] ?? {};
      const quantiles = (stats.quantiles as Stats | undefined) ?? {};
      return [
        name,
        ...['count', 'missing', 'mean', 'std', 'min'].map((key) => formatNumber(stats[key])),
        ...quantileKeys.map((key) => formatNumber(quantiles[key])),
        formatNumber(stats.max),
      ];
    }),
  };
}

function categoricalTable(columns: Record<string, Stats>): Block | null {
  const names = Object.keys(columns);
  if (names.length === 0) return null;
  return {
    kind: 'table',
    title: 'Text and true/false columns',
    columns: ['column', 'type', 'count', 'missing', 'distinct', 'most frequent', 'times'],
    rows: names.map((name) => {
      const stats = columns[name] ?? {};
      return [
        name,
        ...['type', 'count', 'missing', 'distinct', 'top', 'top_count'].map((key) =>
          formatNumber(stats[key]),
        ),
      ];
    }),
  };
}

export const descriptiveAnalysis: AnalysisSpec = {
  name: 'descriptive',
  templateId: 'stats/descriptive',
  summary:
    'count, missing, mean, std, min, quartiles and max per column; most frequent value of text columns',
  examples: [
    '/script descriptive',
    '/script descriptive price area',
    'describe the data',
    'summary statistics of price',
  ],
  keywords: [
    'descriptive',
    'describe',
    'summary',
    'summarize',
    'summarise',
    'overview',
    'statistics',
    'mean',
    'average',
    'median',
    'quartile',
    'quantile',
    'percentile',
    'std',
  ],
  whenGrouped: 'group_summary',
  charts: false,
  paramsFromColumns(columns, table) {
    requireColumns(table, columns);
    return columns.length > 0 ? { columns: unique(columns) } : {};
  },
  direct: descriptive,
  present(result) {
    const blocks = [
      numericTable((result.columns as Record<string, Stats> | undefined) ?? {}),
      categoricalTable((result.categorical as Record<string, Stats> | undefined) ?? {}),
    ].filter((block): block is Block => block !== null);
    blocks.push({
      kind: 'text',
      text: `${formatNumber(result.rows)} rows. std is the sample standard deviation (n − 1); quantiles interpolate linearly (type 7); the most frequent value's ties go to the one seen first.`,
    });
    return blocks;
  },
};
