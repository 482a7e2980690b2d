/**
 * Which columns of a table make sense in a suggested analysis: measures (numeric columns worth a
 * statistic) and categories (columns worth grouping by or predicting). Identifiers are neither: a column
 * named like one (`id`, `ID`, `customer_id`, `orderId`, `uuid`, pandas' `Unnamed: 0`) or a row counter
 * (whole numbers, one per row, consecutive). A category has few distinct values — at least two, at most
 * MAX_SUGGESTED_GROUPS, and on average two rows or more each — so a key that is unique per row (names,
 * e-mails, codes) or nearly so is never suggested as a group.
 *
 * These are suggestions only: anyone may still ask to group by any column the analysis accepts.
 */
import { isNumericColumn, type Column, type Table } from './table.js';

/** More groups than this make a poor suggestion (a table of them is no summary). */
export const MAX_SUGGESTED_GROUPS = 20;

export interface ColumnRoles {
  /** Numeric columns that are not identifiers, in table order. */
  measures: string[];
  /** Text and true/false columns with few distinct values, in table order (text first). */
  categories: string[];
}

const ID_WORDS = new Set(['id', 'ids', 'uuid', 'guid']);

/** `customerId` → customer, id; `order-ID` → order, id; `Unnamed: 0` → unnamed, 0. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

/** True for names that say "identifier" (see the top of this file). */
export function hasIdentifierName(name: string): boolean {
  const words = nameWords(name);
  if (words.some((word) => ID_WORDS.has(word))) return true;
  // What pandas writes for an index saved with to_csv() and read back.
  return words[0] === 'unnamed' || (words.length === 1 && words[0] === 'index');
}

function present(column: Column): (string | number | boolean)[] {
  return column.values.filter(
    (value): value is string | number | boolean =>
      value !== null && !(typeof value === 'number' && Number.isNaN(value)),
  );
}

/** Whole numbers, one per row, with no gaps: 1, 2, 3, ... in any order (a row counter). */
function isRowCounter(column: Column): boolean {
  if (column.type !== 'integer') return false;
  const values = present(column) as number[];
  if (values.length < 3 || new Set(values).size !== values.length) return false;
  return Math.max(...values) - Math.min(...values) + 1 === values.length;
}

export function isIdentifier(column: Column): boolean {
  return hasIdentifierName(column.name) || isRowCounter(column);
}

/** Few distinct values, each on two rows or more on average (see MAX_SUGGESTED_GROUPS). */
function hasFewValues(column: Column): boolean {
  const values = present(column);
  const distinct = new Set(values).size;
  return distinct >= 2 && distinct <= MAX_SUGGESTED_GROUPS && distinct <= Math.max(2, values.length / 2);
}

export function columnRoles(table: Table): ColumnRoles {
  const usable = table.columns.filter((column) => !isIdentifier(column));
  const categoriesOf = (type: Column['type']): string[] =>
    usable.filter((column) => column.type === type && hasFewValues(column)).map((column) => column.name);
  return {
    measures: usable.filter(isNumericColumn).map((column) => column.name),
    categories: [...categoriesOf('text'), ...categoriesOf('boolean')],
  };
}
