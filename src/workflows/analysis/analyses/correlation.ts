/**
 * The `correlation` analysis: Pearson, Spearman or Kendall tau-b matrix of numeric columns, and every pair
 * ranked by strength with its row count and p-value (stats/correlation).
 */
import { fail, quoted, requireColumns, requireNumeric, unique } from '../direct/columns.js';
import { correlation } from '../direct/correlation.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';

/** Pairs shown in the table; the JSON result has them all. */
const SHOWN_PAIRS = 15;

const SYMBOL: Record<string, string> = { pearson: 'r', spearman: 'rho', kendall: 'tau' };

interface Pair {
  x: string;
  y: string;
  r: number | null;
  p: number | null;
  n: number;
}

export const correlationAnalysis: AnalysisSpec = {
  name: 'correlation',
  templateId: 'stats/correlation',
  summary:
    'Pearson, Spearman or Kendall correlation matrix, and every pair ranked by strength with its p-value',
  examples: [
    '/script correlation',
    '/script correlation price area rooms',
    'correlation between price and area',
    'spearman correlation of all columns',
  ],
  keywords: [
    'correlation',
    'correlations',
    'correlate',
    'correlated',
    'relationship',
    'association',
    'pearson',
    'spearman',
    'kendall',
  ],
  charts: false,
  paramsFromColumns(columns, table) {
    requireColumns(table, columns);
    for (const name of columns) requireNumeric(table, name);
    const names = unique(columns);
    if (names.length === 1) {
      fail(
        `a correlation needs two or more numeric columns; you named only ${quoted(names)} (name none to ` +
          'correlate every numeric column)',
      );
    }
    return names.length > 0 ? { columns: names } : {};
  },
  direct: correlation,
  present(result) {
    const method = String(result.method);
    const symbol = SYMBOL[method] ?? 'r';
    const columns = (result.columns as string[] | undefined) ?? [];
    const matrix = (result.matrix as Record<string, Record<string, unknown>> | undefined) ?? {};
    const pairs = (result.pairs as Pair[] | undefined) ?? [];
    const blocks: Block[] = [
      {
        kind: 'table',
        title: `${method} correlation (${symbol})`,
        columns: ['', ...columns],
        rows: columns.map((x) => [x, ...columns.map((y) => formatNumber(matrix[x]?.[y]))]),
      },
      {
        kind: 'table',
        title: 'Pairs, strongest first',
        columns: ['x', 'y', symbol, 'p', 'n'],
        rows: pairs
          .slice(0, SHOWN_PAIRS)
          .map((pair) => [pair.x, pair.y, formatNumber(pair.r), formatNumber(pair.p), formatNumber(pair.n)]),
      },
    ];
    const more =
      pairs.length > SHOWN_PAIRS ? ` ${pairs.length - SHOWN_PAIRS} weaker pairs are in the JSON result.` : '';
    blocks.push({
      kind: 'text',
      text: `Each pair uses the rows where both columns have a value (n); p is two-sided; — means undefined (a constant column or too few rows).${more}`,
    });
    return blocks;
  },
};
