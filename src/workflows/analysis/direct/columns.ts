/**
 * Column choice for the direct engine, with the same rules and the same error messages as the `stats`
 * templates (each template has a `fail(...)` for every InvalidOptionsError thrown here). Names in messages
 * are JSON-quoted, as the templates write them with json.dumps(name, ensure_ascii=False).
 */
import { InvalidOptionsError } from '../../../errors.js';
import { findColumn, isNumericColumn, type Column, type NumericColumn, type Table } from '../table.js';

/** How a template sees a column: pandas reads integer and number columns alike, as numbers. */
export type ColumnKind = 'number' | 'boolean' | 'text';

export function columnKind(column: Column): ColumnKind {
  return isNumericColumn(column) ? 'number' : column.type;
}

/** A user's mistake, as the script reports it: throws InvalidOptionsError with `message` as its one issue. */
export function fail(message: string): never {
  throw new InvalidOptionsError(message, [message]);
}

/** `"a", "b"`: names as the templates quote them. */
export function quoted(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(', ');
}

export function columnNames(table: Table): string[] {
  return table.columns.map((column) => column.name);
}

export function numericColumnNames(table: Table): string[] {
  return table.columns.filter(isNumericColumn).map((column) => column.name);
}

/** Throws for the first of `names` the table does not have. */
export function requireColumns(table: Table, names: readonly string[]): void {
  const absent = names.find((name) => findColumn(table, name) === undefined);
  if (absent !== undefined) {
    fail(`no column ${quoted([absent])}; the table has columns ${quoted(columnNames(table))}`);
  }
}

export function requireColumn(table: Table, name: string): Column {
  requireColumns(table, [name]);
  return findColumn(table, name) as Column;
}

/** The column `name`, which must exist and be numeric. */
export function requireNumeric(table: Table, name: string): NumericColumn {
  const column = requireColumn(table, name);
  if (isNumericColumn(column)) return column;
  const holds = column.type === 'text' ? 'text' : 'true/false values';
  const numeric = numericColumnNames(table);
  return fail(
    `column ${quoted([name])} is not numeric (it holds ${holds}); numeric columns: ${quoted(numeric) || 'none'}`,
  );
}

/** Names in first-mention order without repeats (Python's list(dict.fromkeys(names))). */
export function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** A number as the templates print it: NaN and infinities become null (JSON has neither). */
export function jsonNumber(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Python's str() of a cell value: True/False for booleans. */
export function pythonText(value: string | boolean | number): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/**
 * Python's ordering of keys: strings by code point (not UTF-16 units, as JavaScript's default sort),
 * numbers by value, false before true.
 */
export function comparePython(a: string | boolean | number, b: string | boolean | number): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const left = Array.from(a, (char) => char.codePointAt(0) ?? 0);
    const right = Array.from(b, (char) => char.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
      const difference = (left[i] ?? 0) - (right[i] ?? 0);
      if (difference !== 0) return difference;
    }
    return left.length - right.length;
  }
  return Number(a) - Number(b);
}
