/**
 * How every analysis chooses and checks its columns, with the same rules and the same error messages as
 * the `stats` templates: each InvalidOptionsError thrown here is a `fail(...)` of a template, word for word
 * (names JSON-quoted, as the templates write them with json.dumps(name, ensure_ascii=False)).
 *
 * Rules: a numeric column is an integer or number column (pandas reads both as numbers); a grouping column
 * (`by`) holds text, true/false values, or numbers that are all whole. Rows are grouped as pandas groupby
 * groups them: missing values form no group, groups come in Python's sorted order of their values.
 */
import { InvalidOptionsError } from '../../../errors.js';
import { quoted } from '../../../text.js';
import { findColumn, isNumericColumn, type Column, type NumericColumn, type Table } from '../table.js';

/** A non-missing cell value. */
export type CellValue = string | number | boolean;

/** A user's mistake, as the script reports it: throws InvalidOptionsError with `message` as its one issue. */
export function fail(message: string): never {
  throw new InvalidOptionsError(message, [message]);
}

// `"a", "b"`: names as the templates quote them (text.ts has it for every face).
export { quoted };

/** Names in first-mention order without repeats (Python's list(dict.fromkeys(names))). */
export function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

export function columnNames(table: Table): string[] {
  return table.columns.map((column) => column.name);
}

function numericColumnNames(table: Table): string[] {
  return table.columns.filter(isNumericColumn).map((column) => column.name);
}

/** The named columns without repeats; when none are named, every numeric column but `except`. */
export function namedOrNumeric(
  table: Table,
  names: readonly string[],
  except: string | null = null,
): string[] {
  return names.length > 0 ? unique(names) : numericColumnNames(table).filter((name) => name !== except);
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
  return fail(
    `column ${quoted([name])} is not numeric (it holds ${holds}); numeric columns: ` +
      (quoted(numericColumnNames(table)) || 'none'),
  );
}

/**
 * The features that predict `target`: those named (without repeats), or every numeric column but the
 * target. Throws when the target is among them or when there are none.
 */
export function chooseFeatures(table: Table, target: string, names: readonly string[]): string[] {
  if (names.includes(target)) {
    fail(`the target ${quoted([target])} cannot also be a feature; remove it from features`);
  }
  const features = namedOrNumeric(table, names, target);
  if (features.length === 0) {
    fail(`no numeric feature columns besides the target ${quoted([target])}; name the features`);
  }
  return features;
}

/** Text, true/false values, or numbers that are all whole (missing cells aside). */
function isGroupingColumn(column: Column): boolean {
  return (
    !isNumericColumn(column) ||
    column.values.every((value) => value === null || Number.isNaN(value) || Number.isInteger(value))
  );
}

/** The column `name` to group rows by, which must exist and be a grouping column. */
export function requireGroupingColumn(table: Table, name: string): Column {
  const column = requireColumn(table, name);
  if (isGroupingColumn(column)) return column;
  const fitting = table.columns.filter(isGroupingColumn).map((each) => each.name);
  return fail(
    `column ${quoted([name])} holds numbers that are not whole; group by a text, true/false or ` +
      `whole-number column (${quoted(fitting) || 'none in this table'})`,
  );
}

/** A number as the templates print it: NaN and infinities become null (JSON has neither). */
export function jsonNumber(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Python's str() of a cell value as the scripts label groups: True/False, whole numbers without ".0". */
export function pythonText(value: CellValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/**
 * Python's ordering of values: strings by code point (not UTF-16 units, as JavaScript's default sort),
 * numbers by value, false before true.
 */
export function comparePython(a: CellValue, b: CellValue): number {
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

export interface Grouping {
  /** The distinct non-missing values, in Python's sorted order (as pandas groupby sorts its groups). */
  keys: CellValue[];
  /** The rows of each key, ascending. */
  rows: number[][];
  /** The rows whose value is missing: they belong to no group (groupby's dropna=True). */
  ungrouped: number[];
}

export function groupRows(column: Column): Grouping {
  const groups = new Map<CellValue, number[]>();
  const ungrouped: number[] = [];
  column.values.forEach((value, row) => {
    if (value === null || (typeof value === 'number' && Number.isNaN(value))) ungrouped.push(row);
    else if (groups.has(value)) groups.get(value)?.push(row);
    else groups.set(value, [row]);
  });
  const keys = [...groups.keys()].sort(comparePython);
  return { keys, rows: keys.map((key) => groups.get(key) ?? []), ungrouped };
}
