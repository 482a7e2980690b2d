/**
 * The `group_summary` analysis computed directly: the object templates/stats/group_summary.py.njk prints.
 * Rows are grouped by one text, boolean or whole-number column (rows missing it form no group, as pandas
 * groupby with dropna=True); groups come in Python's sorted order of their keys.
 */
import { isNumericColumn, type Column, type NumericColumn, type Table } from '../table.js';
import { ascending, mean, quantileSorted, std } from './basic.js';
import {
  comparePython,
  fail,
  jsonNumber,
  numericColumnNames,
  quoted,
  requireColumn,
  requireColumns,
  requireNumeric,
  unique,
} from './columns.js';
import { stringListParam, stringParam } from './params.js';

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

type Key = string | boolean | number;

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

/** The column `by`, which must exist and hold text, true/false values or whole numbers. */
export function requireGroupingColumn(table: Table, by: string): Column {
  const column = requireColumn(table, by);
  const whole = (value: number | null): boolean =>
    value === null || Number.isNaN(value) || Number.isInteger(value);
  if (isNumericColumn(column) && !column.values.every(whole)) {
    fail(
      `column ${quoted([by])} holds numbers that are not whole; group by a text, true/false or ` +
        'whole-number column',
    );
  }
  return column;
}

export function groupSummary(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const by = stringParam(params, 'by');
  const wanted = stringListParam(params, 'columns');
  requireColumns(table, [by, ...wanted]);
  const byColumn = requireGroupingColumn(table, by);
  for (const name of wanted) requireNumeric(table, name);
  if (wanted.includes(by)) fail(`column ${quoted([by])} is the grouping column; remove it from columns`);
  const names = wanted.length > 0 ? unique(wanted) : numericColumnNames(table).filter((name) => name !== by);
  if (names.length === 0) fail(`no numeric columns to summarise besides ${quoted([by])}`);
  const columns = names.map((name) => requireNumeric(table, name));

  const groups = new Map<Key, number[]>();
  let withoutGroup = 0;
  byColumn.values.forEach((key, row) => {
    if (key === null || (typeof key === 'number' && Number.isNaN(key))) withoutGroup += 1;
    else if (groups.has(key)) groups.get(key)?.push(row);
    else groups.set(key, [row]);
  });
  if (groups.size > MAX_GROUPS) {
    fail(
      `column ${quoted([by])} has ${groups.size} different values; group_summary makes at most ${MAX_GROUPS} ` +
        'groups, so group by a column with fewer values',
    );
  }
  const keys = [...groups.keys()].sort(comparePython);

  return {
    template: 'stats/group_summary',
    file: stringParam(params, 'file'),
    by,
    columns: names,
    rows: table.rowCount,
    rows_without_group: withoutGroup,
    groups: keys.map((key) => {
      const rows = groups.get(key) ?? [];
      return {
        key,
        rows: rows.length,
        columns: Object.fromEntries(columns.map((column) => [column.name, summarise(column, rows)])),
      };
    }),
    definitions: GROUP_SUMMARY_DEFINITIONS,
  };
}
