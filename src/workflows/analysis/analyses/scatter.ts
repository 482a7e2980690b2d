/**
 * The `scatter` analysis: one numeric column against another, coloured by an optional category, with the
 * least-squares line and Pearson r; the stats/scatter script draws the PNG, the direct engine
 * (direct/scatter.ts) computes the numbers it shows (points, fit, r, points per group).
 */
import { z } from 'zod';
import { plural } from '../../../text.js';
import { requireColumns, requireGroupingColumn, requireNumeric } from '../direct/columns.js';
import { scatter } from '../direct/scatter.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import { CHART_RESULT_FIELDS } from './chart-present.js';
import { failWithExample } from '../usage-example.js';

const ResultSchema = z.object({
  template: z.literal('stats/scatter'),
  ...CHART_RESULT_FIELDS,
  x: z.string(),
  y: z.string(),
  by: z.string().nullable(),
  n: z.number(),
  r: z.number().nullable(),
  fit: z.object({ slope: z.number(), intercept: z.number() }).nullable(),
  groups: z.array(z.object({ group: z.string().nullable(), n: z.number() })).nullable(),
});

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
  takesXFirst: true,
  charts: true,
  paramsFromColumns(columns, table) {
    const [x, y, by, ...extra] = columns;
    if (x === undefined || y === undefined || extra.length > 0) {
      failWithExample(
        `got ${plural(columns.length, 'column')}; a scatter plot takes two numeric columns and an optional ` +
          'category',
        { analysis: 'scatter', columns: ['area', 'price', 'district'] },
      );
    }
    requireColumns(table, columns);
    requireNumeric(table, x);
    requireNumeric(table, y);
    if (by === undefined) return { x, y };
    requireGroupingColumn(table, by);
    return { x, y, by };
  },
  direct: scatter,
  present,
};
