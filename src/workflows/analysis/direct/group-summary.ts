/**
 * The `group_summary` analysis computed directly: the object templates/stats/group_summary.py.njk prints.
 * Rows are grouped by one text, boolean or whole-number column (rows missing it form no group, as pandas
 * groupby with dropna=True); groups come in Python's sorted order of their keys.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import type { NumericColumn, Table } from '../table.js';
import { ascending, mean, quantileSorted, std } from './basic.js';
import {
  fail,
  groupRows,
  jsonNumber,
  namedOrNumeric,
  quoted,
  requireColumns,
  requireGroupingColumn,
  requireNumeric,
} from './columns.js';

const ParamsSchema = z.object({ file: z.string(), by: z.string(), columns: z.array(z.string()) });

export const GROUP_SUMMARY_DEFINITIONS = {
  groups:
    'one per distinct non-missing value of the grouping column (at most 1000), sorted by that ' +
    'value; rows whose value is missing belong to no group (pandas groupby, dropna=True)',
  rows: 'rows in the group; count is how many of them have a value in the column',
  std: 'sample standard deviation (divisor n - 1); null when count < 2',
  median: 'middle value, the mean of the two middle values for an even count',
  null: 'a statistic that is undefined or not a finite number is null',
};

/** More groups than this is an error: the result would be too long to read (or to send). */
export const MAX_GROUPS = 1000;

function summarise(column: NumericColumn, rows: readonly number[]): Record<string, unknown> {
  const values: number[] = [];
  for (const row of rows) {
    const value = column.values[row] ?? null;
    if (value !== null && !Number.isNaN(value)) values.push(value);
  }
  const sorted = ascending(values);
  const n = sorted.length;
  const ifAny = (value: () => number): number | null => (n > 0 ? jsonNumber(value()) : null);
  return {
    count: n,
    mean: ifAny(() => mean(sorted)),
    std: n >= 2 ? jsonNumber(std(sorted)) : null,
    min: ifAny(() => sorted[0] ?? NaN),
    median: ifAny(() => quantileSorted(sorted, 0.5)),
    max: ifAny(() => sorted[n - 1] ?? NaN),
  };
}

export function groupSummary(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const { file, by, columns: wanted } = parseOptions(ParamsSchema, params, 'group_summary parameters');
  requireColumns(table, [by, ...wanted]);
  const byColumn = requireGroupingColumn(table, by);
  for (const name of wanted) requireNumeric(table, name);
  if (wanted.includes(by)) fail(`column ${quoted([by])} is the grouping column; remove it from columns`);
  const names = namedOrNumeric(table, wanted, by);
  if (names.length === 0) fail(`no numeric columns to summarise besides ${quoted([by])}`);
  const columns = names.map((name) => requireNumeric(table, name));
  const grouping = groupRows(byColumn);
  if (grouping.keys.length > MAX_GROUPS) {
    fail(
      `column ${quoted([by])} has ${grouping.keys.length} different values; group_summary makes at most ` +
        `${MAX_GROUPS} groups, so group by a column with fewer values`,
    );
  }

  return {
    template: 'stats/group_summary',
    file,
    by,
    columns: names,
    rows: table.rowCount,
    rows_without_group: grouping.ungrouped.length,
    groups: grouping.keys.map((key, index) => {
      const rows = grouping.rows[index] ?? [];
      return {
        key,
        rows: rows.length,
        columns: Object.fromEntries(columns.map((column) => [column.name, summarise(column, rows)])),
      };
    }),
    definitions: GROUP_SUMMARY_DEFINITIONS,
  };
}
