/**
 * The `histogram` analysis: equal-width histograms of numeric columns, a PNG per column drawn by the
 * stats/histogram script, and the bin edges and counts it shows, computed here as numpy computes them.
 */
import { z } from 'zod';
import { parseOptions } from '../../../engine/options.js';
import { InvalidOptionsError } from '../../../errors.js';
import { cellCounts, isFiniteCell, numericColumns, requireNumeric } from '../direct/chart-columns.js';
import { MAX_CHARTS, chartCapNote, chartFileName } from '../direct/chart-files.js';
import { BIN_RULES, binCount, histogram, type BinRule } from '../direct/histogram.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import type { Table } from '../table.js';

const MAX_BINS = 1000;

const ParamsSchema = z.object({
  file: z.string(),
  columns: z.array(z.string()),
  bins: z.string(),
});

const ResultSchema = z.object({
  template: z.literal('stats/histogram'),
  file: z.string(),
  rows: z.number(),
  bins: z.string(),
  columns: z.array(
    z.object({
      column: z.string(),
      n: z.number(),
      missing: z.number(),
      infinite: z.number(),
      edges: z.array(z.number()),
      counts: z.array(z.number()),
    }),
  ),
  charts: z.array(z.string()),
  note: z.string().nullable(),
  definitions: z.record(z.string(), z.string()),
});
type HistogramResult = z.infer<typeof ResultSchema>;

const DEFINITIONS = {
  bins:
    "a number of equal-width bins, or numpy's rule for their width: sturges = range / (log2(n) + 1)," +
    ' fd = 2 IQR / n^(1/3), auto = the smaller of the two (sturges when the IQR is 0)',
  edges: 'from the smallest to the largest finite value; bins are [left, right), the last one closed',
  missing: 'empty and NaN cells; infinite cells are counted apart; neither is binned',
};

function isBinRule(text: string): text is BinRule {
  return (BIN_RULES as readonly string[]).includes(text);
}

function parseBins(text: string): BinRule | number {
  if (isBinRule(text)) return text;
  if (/^[0-9]+$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_BINS) return Number(text);
  const issue = `bins must be one of ${BIN_RULES.join(', ')} or a whole number of bins from 1 to ${MAX_BINS}, not ${JSON.stringify(text)}`;
  throw new InvalidOptionsError(issue, [issue]);
}

function direct(table: Table, params: Record<string, unknown>): HistogramResult {
  const { file, columns, bins } = parseOptions(ParamsSchema, params, 'histogram parameters');
  const rule = parseBins(bins);
  const selected =
    columns.length > 0
      ? [...new Set(columns)].map((name) => requireNumeric(table, name, 'a histogram'))
      : numericColumns(table);
  if (selected.length === 0) {
    const issue = 'the table has no numeric columns to draw';
    throw new InvalidOptionsError(issue, [issue]);
  }
  const results = selected.map((column) => {
    const finite = column.values.filter(isFiniteCell);
    const count = binCount(finite, rule);
    if (count > MAX_BINS) {
      const issue = `the ${String(rule)} rule gives ${count} bins for column ${JSON.stringify(column.name)} (a long tail); pass a bin count instead, like bins=50`;
      throw new InvalidOptionsError(issue, [issue]);
    }
    return { column: column.name, n: finite.length, ...cellCounts(column), ...histogram(finite, count) };
  });
  const taken = new Set<string>();
  return {
    template: 'stats/histogram',
    file,
    rows: table.rowCount,
    bins,
    columns: results,
    charts: results.slice(0, MAX_CHARTS).map((entry) => chartFileName(taken, ['histogram', entry.column])),
    note: chartCapNote(results.length),
    definitions: DEFINITIONS,
  };
}

function binLabel(edges: readonly number[], index: number): string {
  const closing = index === edges.length - 2 ? ']' : ')';
  return `[${formatNumber(edges[index])}, ${formatNumber(edges[index + 1])}${closing}`;
}

function present(raw: Record<string, unknown>): Block[] {
  const result = ResultSchema.parse(raw);
  const blocks: Block[] = result.columns.map((entry) => {
    const infinite = entry.infinite > 0 ? `, infinite ${entry.infinite}` : '';
    return {
      kind: 'table',
      title: `${entry.column}: n ${entry.n}, missing ${entry.missing}${infinite}, ${entry.counts.length} bins`,
      columns: ['bin', 'count'],
      rows: entry.counts.map((count, index) => [binLabel(entry.edges, index), formatNumber(count)]),
    };
  });
  if (result.note !== null) blocks.push({ kind: 'text', text: `Note: ${result.note}.` });
  blocks.push({
    kind: 'text',
    text: `Bins: ${result.bins}; ${result.definitions.bins ?? ''}. Edges: ${result.definitions.edges ?? ''}.`,
  });
  return blocks;
}

export const histogramAnalysis: AnalysisSpec = {
  name: 'histogram',
  templateId: 'stats/histogram',
  summary: 'histograms of numeric columns: a chart each, with bin edges and counts',
  examples: ['/script histogram price', 'show the distribution of price as a histogram'],
  keywords: ['histogram', 'histograms', 'distribution', 'frequency', 'frequencies', 'bins'],
  charts: true,
  paramsFromColumns(columns, table) {
    for (const name of columns) requireNumeric(table, name, 'a histogram');
    return columns.length > 0 ? { columns } : {};
  },
  direct,
  present,
};
