/**
 * A header and rows of raw cell strings to a typed Table, inferring each column's type as pandas 1.5
 * `read_csv` does, so that the canonical CSV written from the table reads back in pandas with the same
 * types and values. Cells (and header names) are trimmed of surrounding whitespace first.
 *
 * - Missing: an empty cell or one of pandas' default NA strings (the pandas 2 list, which adds `None`).
 * - Numeric: every present cell is a plain decimal number (`12`, `-3.5`, `.5`, `1e-3`) or an infinity
 *   (`inf`, `-Infinity`, any case). `integer` when all are whole numbers written without a decimal point
 *   or exponent and safe in JavaScript (|n| < 2^53, so exact); otherwise `number`. Hex, digit separators and
 *   decimal commas are not numbers (pandas reads them as text too).
 * - Boolean: every present cell is `true` or `false` in any letter case (pandas compares them ignoring case).
 * - A column of only missing cells is `number` (pandas reads it as float64 NaN); anything else is `text`.
 *
 * Header names follow pandas: an empty name becomes `Unnamed: <index>`, duplicates become `a.1`, `a.2`.
 */
import { InvalidDatasetError } from '../../errors.js';
import type { Column, ColumnType, Table } from './table.js';

const NA_STRINGS = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(inity)?$/i;
const INTEGER = /^[+-]?\d+$/;
const BOOLEAN = /^(true|false)$/i;
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/;

function isMissing(cell: string): boolean {
  return NA_STRINGS.has(cell);
}

function isNumber(cell: string): boolean {
  return NUMBER.test(cell) || INFINITY.test(cell);
}

function isInteger(cell: string): boolean {
  // Number() rounds any integer of magnitude 2^53 or more to one that is not safe.
  return INTEGER.test(cell) && Number.isSafeInteger(Number(cell));
}

function parseNumber(cell: string): number {
  if (INFINITY.test(cell)) return cell.startsWith('-') ? -Infinity : Infinity;
  return Number(cell);
}

/** The column names pandas gives a header row (`mangle_dupe_cols`, unnamed columns renamed last). */
export function pandasColumnNames(header: readonly string[]): string[] {
  const names = header.map((name, index) => (name === '' ? `Unnamed: ${index}` : name));
  const named = [...header.keys()].filter((index) => header[index] !== '');
  const unnamed = [...header.keys()].filter((index) => header[index] === '');
  const counts = new Map<string, number>();
  for (const index of [...named, ...unnamed]) {
    const original = names[index] ?? '';
    let name = original;
    let count = counts.get(name) ?? 0;
    while (count > 0) {
      counts.set(original, count + 1);
      name = `${original}.${count}`;
      count = names.includes(name) ? count + 1 : (counts.get(name) ?? 0);
    }
    names[index] = name;
    counts.set(name, count + 1);
  }
  return names;
}

function typeOf(cells: readonly string[]): ColumnType {
  let present = false;
  let numeric = true;
  let integer = true;
  let boolean = true;
  for (const cell of cells) {
    if (isMissing(cell)) continue;
    present = true;
    numeric &&= isNumber(cell);
    integer &&= numeric && isInteger(cell);
    boolean &&= BOOLEAN.test(cell);
    if (!numeric && !boolean) return 'text';
  }
  if (!present) return 'number';
  return integer ? 'integer' : numeric ? 'number' : 'boolean';
}

function makeColumn(name: string, cells: readonly string[]): Column {
  const type = typeOf(cells);
  const missing = cells.filter(isMissing).length;
  const each = <T>(read: (cell: string) => T): (T | null)[] =>
    cells.map((cell) => (isMissing(cell) ? null : read(cell)));
  switch (type) {
    case 'integer':
      // int64 has no negative zero: "-0" is 0.
      return { name, type, missing, values: each((cell) => Number(cell) || 0) };
    case 'number':
      return { name, type, missing, values: each(parseNumber) };
    case 'boolean':
      return { name, type, missing, values: each((cell) => cell.toLowerCase() === 'true') };
    case 'text':
      return { name, type, missing, values: each((cell) => cell) };
  }
}

/** Why a text column that looks numeric is not: decimal commas, or a few cells that are not numbers. */
function textColumnHint(name: string, cells: readonly string[]): string | undefined {
  let numbers = 0;
  const odd: string[] = [];
  let commas = 0;
  for (const cell of cells) {
    if (isMissing(cell)) continue;
    if (isNumber(cell)) numbers += 1;
    else {
      odd.push(cell);
      if (DECIMAL_COMMA.test(cell)) commas += 1;
    }
  }
  if (commas > 0 && commas === odd.length) {
    return (
      `column "${name}" is read as text: numbers such as "${odd[0]}" have a decimal comma; ` +
      `save the file with decimal points to analyse them as numbers`
    );
  }
  if (odd.length > 0 && numbers > odd.length) {
    const examples = [...new Set(odd)].slice(0, 3).map((cell) => `"${cell}"`);
    const total = numbers + odd.length;
    return (
      `column "${name}" is read as text because ${odd.length} of its ${total} values ` +
      `${odd.length === 1 ? 'is not a number' : 'are not numbers'} (${examples.join(', ')}); leave missing ` +
      `values empty or write NA to analyse it as numbers`
    );
  }
  return undefined;
}

function renameWarning(header: readonly string[], names: readonly string[]): string | undefined {
  const renamed = names.flatMap((name, index) => {
    const original = header[index] ?? '';
    if (name === original) return [];
    const was =
      original === ''
        ? `column ${index + 1} has no name`
        : `column ${index + 1} "${original}" is a duplicate`;
    return [`${was}, now "${name}"`];
  });
  if (renamed.length === 0) return undefined;
  const more = renamed.length > 5 ? `; and ${renamed.length - 5} more` : '';
  return `renamed columns as pandas does: ${renamed.slice(0, 5).join('; ')}${more}`;
}

export interface InferredTable {
  table: Table;
  warnings: string[];
}

/** `rows` must all be as long as `header` (the CSV parser and the xlsx reader make sure). */
export function inferTable(
  sourceName: string,
  header: readonly string[],
  rows: readonly string[][],
): InferredTable {
  if (rows.length === 0) {
    throw new InvalidDatasetError(
      `${sourceName} has a header row but no data rows: add the data below the column names.`,
    );
  }
  const trimmedHeader = header.map((name) => name.trim());
  const names = pandasColumnNames(trimmedHeader);
  const warnings: string[] = [];
  const rename = renameWarning(trimmedHeader, names);
  if (rename !== undefined) warnings.push(rename);
  const columns = names.map((name, index) => {
    const cells = rows.map((row) => (row[index] ?? '').trim());
    const column = makeColumn(name, cells);
    const hint = column.type === 'text' ? textColumnHint(name, cells) : undefined;
    if (hint !== undefined) warnings.push(hint);
    return column;
  });
  return { table: { columns, rowCount: rows.length }, warnings };
}
