/**
 * The `scatter` analysis: one numeric column against another, coloured by an optional category, with the
 * least-squares line and Pearson r; the stats/scatter script draws the PNG, and the numbers it shows
 * (points, fit, r, points per group) are computed here the same way.
 */
import { z } from 'zod';
import { parseOptions } from '../../../engine/options.js';
import { InvalidOptionsError } from '../../../errors.js';
import { groupRows, isFiniteCell, requireCategory, requireNumeric } from '../direct/chart-columns.js';
import { chartFileName } from '../direct/chart-files.js';
import { leastSquares } from '../direct/scatter.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import type { Table } from '../table.js';

const ParamsSchema = z.object({
  file: z.string(),
  x: z.string(),
  y: z.string(),
  by: z.string().nullable(),
  line: z.boolean(),
});

const ResultSchema = z.object({
  template: z.literal('stats/scatter'),
  file: z.string(),
  rows: z.number(),
  x: z.string(),
  y: z.string(),
  by: z.string().nullable(),
  n: z.number(),
  r: z.number().nullable(),
  fit: z.object({ slope: z.number(), intercept: z.number() }).nullable(),
  groups: z.array(z.object({ group: z.string().nullable(), n: z.number() })).nullable(),
  charts: z.array(z.string()),
  definitions: z.record(z.string(), z.string()),
});
type ScatterResult = z.infer<typeof ResultSchema>;

const DEFINITIONS = {
  n: 'rows where both x and y are finite numbers',
  fit: 'least squares: slope = Sxy / Sxx, intercept = mean(y) - slope * mean(x)',
  r: "Pearson's correlation coefficient",
  groups: 'points in each group of by, in sorted order; null: points whose by value is missing',
};

/** Points of each group (only groups with points), those without a group last as null. */
function groupCounts(table: Table, by: string, drawn: readonly number[]): ScatterResult['groups'] {
  const { labels, rowLabels } = groupRows(requireCategory(table, by));
  const counts = new Map<string | null, number>();
  for (const row of drawn) {
    const label = rowLabels[row] ?? null;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...labels, null]
    .filter((label) => counts.has(label))
    .map((label) => ({ group: label, n: counts.get(label) ?? 0 }));
}

function direct(table: Table, params: Record<string, unknown>): ScatterResult {
  const { file, x, y, by, line } = parseOptions(ParamsSchema, params, 'scatter parameters');
  const xColumn = requireNumeric(table, x, 'the x axis');
  const yColumn = requireNumeric(table, y, 'the y axis');
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
    groups: by === null ? null : groupCounts(table, by, drawn),
    charts: [chartFileName(new Set(), parts)],
    definitions: DEFINITIONS,
  };
}

function present(raw: Record<string, unknown>): Block[] {
  const result = ResultSchema.parse(raw);
  const rows = [
    ['points (x and y present)', formatNumber(result.n)],
    ['Pearson r', formatNumber(result.r)],
  ];
  if (result.fit !== null) {
    rows.push(['slope', formatNumber(result.fit.slope)], ['intercept', formatNumber(result.fit.intercept)]);
  }
  const blocks: Block[] = [
    { kind: 'table', title: `${result.y} against ${result.x}`, columns: ['', 'value'], rows },
  ];
  if (result.groups !== null) {
    blocks.push({
      kind: 'table',
      title: `points by ${result.by ?? ''}`,
      columns: [result.by ?? 'group', 'points'],
      rows: result.groups.map((group) => [group.group ?? '(missing)', formatNumber(group.n)]),
    });
  }
  const fit = result.fit === null ? '' : ` Line: ${result.definitions.fit ?? ''}.`;
  blocks.push({
    kind: 'text',
    text: `r: ${result.definitions.r ?? ''} over ${result.definitions.n ?? ''}.${fit}`,
  });
  return blocks;
}

export const scatterAnalysis: AnalysisSpec = {
  name: 'scatter',
  templateId: 'stats/scatter',
  summary: 'a scatter plot of one numeric column against another, with the least-squares line and r',
  examples: ['/script scatter area price', '/script scatter area price district', 'plot price against area'],
  keywords: ['scatter', 'scatterplot', 'against', 'versus', 'vs'],
  charts: true,
  paramsFromColumns(columns, table) {
    const [x, y, by, ...extra] = columns;
    if (x === undefined || y === undefined || extra.length > 0) {
      const issue = `a scatter plot takes two numeric columns and an optional category, like /script scatter area price district; got ${columns.length} column${columns.length === 1 ? '' : 's'}`;
      throw new InvalidOptionsError(issue, [issue]);
    }
    requireNumeric(table, x, 'the x axis');
    requireNumeric(table, y, 'the y axis');
    if (by === undefined) return { x, y };
    requireCategory(table, by);
    return { x, y, by };
  },
  direct,
  present,
};
