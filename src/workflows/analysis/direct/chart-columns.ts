/**
 * Columns as the chart analyses use them: lookups that say which column would fit when one does not,
 * numeric cells split into finite values, missing (empty or NaN) and infinite ones, and category columns
 * (`by`) grouped like pandas groupby: missing values left out, groups in sorted order (text by code
 * point, false before true, numbers ascending), labelled as the scripts print them (`True`, `3`, `north`).
 */
import { InvalidOptionsError } from '../../../errors.js';
import { findColumn, isNumericColumn, type Column, type NumericColumn, type Table } from '../table.js';

function unknownColumn(table: Table, name: string): InvalidOptionsError {
  const names = table.columns.map((column) => column.name).join(', ');
  const issue = `no column ${JSON.stringify(name)}; the table has ${names}`;
  return new InvalidOptionsError(issue, [issue]);
}

function listOrNone(columns: readonly Column[]): string {
  return columns.length > 0 ? columns.map((column) => column.name).join(', ') : 'none in this table';
}

export function numericColumns(table: Table): NumericColumn[] {
  return table.columns.filter(isNumericColumn);
}

/** The numeric column `name`; `use` says what it is for ("the x axis"), for the error message. */
export function requireNumeric(table: Table, name: string, use: string): NumericColumn {
  const column = findColumn(table, name);
  if (column === undefined) throw unknownColumn(table, name);
  if (isNumericColumn(column)) return column;
  const issue = `column ${JSON.stringify(name)} is ${column.type}; ${use} needs a numeric column (${listOrNone(numericColumns(table))})`;
  throw new InvalidOptionsError(issue, [issue]);
}

function isCategoryColumn(column: Column): boolean {
  return column.type !== 'number';
}

/** The category column `name` for `by`: text, true/false or whole numbers. */
export function requireCategory(table: Table, name: string): Column {
  const column = findColumn(table, name);
  if (column === undefined) throw unknownColumn(table, name);
  if (isCategoryColumn(column)) return column;
  const fitting = table.columns.filter(isCategoryColumn);
  const issue = `column ${JSON.stringify(name)} holds decimal numbers; by needs a category column: text, true/false or whole numbers (${listOrNone(fitting)})`;
  throw new InvalidOptionsError(issue, [issue]);
}

export function isFiniteCell(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export interface CellCounts {
  /** Empty or NaN cells. */
  missing: number;
  /** Cells holding inf or -inf. */
  infinite: number;
}

export function cellCounts(column: NumericColumn): CellCounts {
  let missing = 0;
  let infinite = 0;
  for (const value of column.values) {
    if (value === null || Number.isNaN(value)) missing += 1;
    else if (!Number.isFinite(value)) infinite += 1;
  }
  return { missing, infinite };
}

export interface Grouping {
  /** Group labels in pandas' sorted order. */
  labels: string[];
  /** Each row's group label; null where the `by` cell is missing. */
  rowLabels: (string | null)[];
}

type GroupKey = string | number | boolean;

function compareKeys(a: GroupKey, b: GroupKey): number {
  if (typeof a !== 'string' || typeof b !== 'string') return Number(a) - Number(b);
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function label(key: GroupKey): string {
  if (typeof key === 'boolean') return key ? 'True' : 'False';
  return String(key);
}

export function groupRows(column: Column): Grouping {
  const keys: (GroupKey | null)[] = column.values.map((value) =>
    value === null || (typeof value === 'number' && Number.isNaN(value)) ? null : value,
  );
  const distinct = [...new Set(keys.filter((key): key is GroupKey => key !== null))].sort(compareKeys);
  return {
    labels: distinct.map(label),
    rowLabels: keys.map((key) => (key === null ? null : label(key))),
  };
}
