/**
 * The `histogram` analysis computed directly: the object templates/stats/histogram.py.njk prints (its
 * charts are not drawn here). For each numeric column its finite values are binned as numpy bins them
 * (histogram-bins.ts); missing and infinite cells are counted apart.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import type { Table } from '../table.js';
import { cellCounts, isFiniteCell } from './basic.js';
import { MAX_CHARTS, chartCapNote, chartFileName } from './chart-files.js';
import { fail, namedOrNumeric, quoted, requireColumns, requireNumeric } from './columns.js';
import { BIN_RULES, binCount, equalWidthHistogram, type BinRule } from './histogram-bins.js';

/** The most bins a column may get: from a count, or from a rule on a long-tailed column. */
export const MAX_BINS = 1000;

const ParamsSchema = z.object({ file: z.string(), columns: z.array(z.string()), bins: z.string() });

export const HISTOGRAM_DEFINITIONS = {
  bins:
    "a number of equal-width bins, or numpy's rule for their width: sturges = range / (log2(n) + 1)," +
    ' fd = 2 IQR / n^(1/3), auto = the smaller of the two (sturges when the IQR is 0)',
  edges: 'from the smallest to the largest finite value; bins are [left, right), the last one closed',
  missing: 'empty and NaN cells; infinite cells are counted apart; neither is binned',
};

function isBinRule(text: string): text is BinRule {
  return (BIN_RULES as readonly string[]).includes(text);
}

/** A rule name, or a whole number of bins from 1 to MAX_BINS. */
function parseBins(text: string): BinRule | number {
  if (isBinRule(text)) return text;
  if (/^[0-9]+$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_BINS) return Number(text);
  return fail(
    `bins must be one of ${BIN_RULES.join(', ')} or a whole number of bins from 1 to ${MAX_BINS}, ` +
      `not ${JSON.stringify(text)}`,
  );
}

export function histogram(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const { file, columns, bins } = parseOptions(ParamsSchema, params, 'histogram parameters');
  const rule = parseBins(bins);
  requireColumns(table, columns);
  for (const name of columns) requireNumeric(table, name);
  const names = namedOrNumeric(table, columns);
  if (names.length === 0) fail('the table has no numeric columns to draw');
  const results = names.map((name) => {
    const column = requireNumeric(table, name);
    const finite = column.values.filter(isFiniteCell);
    const count = binCount(finite, rule);
    if (count > MAX_BINS) {
      fail(
        `the ${String(rule)} rule gives ${count} bins for column ${quoted([name])} (a long tail); pass a ` +
          'bin count instead, like bins=50',
      );
    }
    return { column: name, n: finite.length, ...cellCounts(column), ...equalWidthHistogram(finite, count) };
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
    definitions: HISTOGRAM_DEFINITIONS,
  };
}
