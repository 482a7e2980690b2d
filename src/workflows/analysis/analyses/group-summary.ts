/**
 * The `group_summary` analysis: rows grouped by one text, true/false or whole-number column; per group its
 * size and the count, mean, std, min, median and max of numeric columns (stats/group_summary).
 */
import {
  requireColumn,
  requireColumns,
  requireGroupingColumn,
  requireNumeric,
  unique,
} from '../direct/columns.js';
import { groupSummary } from '../direct/group-summary.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import { isNumericColumn } from '../table.js';
import { failWithExample } from '../usage-example.js';

interface Group {
  key: unknown;
  rows: number;
  columns: Record<string, Record<string, unknown>>;
}

const STATS = ['count', 'mean', 'std', 'min', 'median', 'max'];

export const groupSummaryAnalysis: AnalysisSpec = {
  name: 'group_summary',
  templateId: 'stats/group_summary',
  summary: 'count, mean, std, min, median and max of numeric columns per group of a category column',
  examples: [
    '/script group_summary district price',
    '/script group_summary species',
    'average price per district',
  ],
  keywords: [
    'group',
    'groups',
    'grouped',
    'group by',
    'groupby',
    'per group',
    'per category',
    'breakdown',
    'by category',
    'segment',
    'aggregate',
  ],
  charts: false,
  paramsFromColumns(columns, table) {
    const names = unique(columns);
    if (names.length === 0) {
      failWithExample('name the column to group by, then the numeric columns', {
        analysis: 'group_summary',
        columns: ['district', 'price'],
      });
    }
    requireColumns(table, names);
    const by = names.find((name) => !isNumericColumn(requireColumn(table, name))) ?? names[0] ?? '';
    requireGroupingColumn(table, by);
    const rest = names.filter((name) => name !== by);
    for (const name of rest) requireNumeric(table, name);
    return rest.length > 0 ? { by, columns: rest } : { by };
  },
  direct: groupSummary,
  present(result) {
    const by = String(result.by);
    const columns = (result.columns as string[] | undefined) ?? [];
    const groups = (result.groups as Group[] | undefined) ?? [];
    const blocks: Block[] = columns.map((column) => ({
      kind: 'table',
      title: `${column} by ${by}`,
      columns: [by, 'rows', ...STATS],
      rows: groups.map((group) => [
        formatNumber(group.key),
        formatNumber(group.rows),
        ...STATS.map((stat) => formatNumber(group.columns[column]?.[stat])),
      ]),
    }));
    const without = Number(result.rows_without_group ?? 0);
    blocks.push({
      kind: 'text',
      text:
        `${formatNumber(groups.length)} groups, sorted by ${by}; std is the sample standard deviation (n − 1).` +
        (without > 0 ? ` ${formatNumber(without)} rows with no ${by} belong to no group.` : ''),
    });
    return blocks;
  },
};
