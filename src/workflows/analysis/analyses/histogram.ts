/**
 * The `histogram` analysis: equal-width histograms of numeric columns, a PNG per column drawn by the
 * stats/histogram script, and the bin edges and counts it shows (direct engine in direct/histogram.ts).
 */
import { z } from 'zod';
import { requireColumns, requireNumeric } from '../direct/columns.js';
import { histogram } from '../direct/histogram.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import { CHART_RESULT_FIELDS, noteBlocks, undrawnText } from './chart-present.js';

const ResultSchema = z.object({
  template: z.literal('stats/histogram'),
  ...CHART_RESULT_FIELDS,
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
  note: z.string().nullable(),
});

function binLabel(edges: readonly number[], index: number): string {
  const closing = index === edges.length - 2 ? ']' : ')';
  return `[${formatNumber(edges[index])}, ${formatNumber(edges[index + 1])}${closing}`;
}

function present(raw: Record<string, unknown>): Block[] {
  const result = ResultSchema.parse(raw);
  const blocks: Block[] = result.columns.map((entry) => ({
    kind: 'table',
    title: `${entry.column}: n ${entry.n}, ${undrawnText(entry)}, ${entry.counts.length} bins`,
    columns: ['bin', 'count'],
    rows: entry.counts.map((count, index) => [binLabel(entry.edges, index), formatNumber(count)]),
  }));
  blocks.push(...noteBlocks(result.note), {
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
    requireColumns(table, columns);
    for (const name of columns) requireNumeric(table, name);
    return columns.length > 0 ? { columns } : {};
  },
  direct: histogram,
  present,
};
