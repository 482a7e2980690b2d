/**
 * A table block as monospace lines for a Telegram <pre>: a header line, a rule, one line per row, columns
 * padded to a common width. Columns whose cells are all numbers are right-aligned so digits line up;
 * the others are left-aligned. Very long cells are shortened with `…` so one row stays readable on a phone.
 */

/** Widest cell, in characters, before it is shortened. */
const MAX_CELL_WIDTH = 40;

const COLUMN_GAP = '  ';

/** Cells formatNumber writes for numbers: decimals, exponents, `—` for missing, NaN and infinities. */
const NUMERIC_CELL = /^(?:[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?%?|[-+]?\.\d+|—|NaN|-?∞)$/i;

export interface TableLines {
  header: string;
  rule: string;
  rows: string[];
}

function width(text: string): number {
  return [...text].length;
}

function shorten(cell: string): string {
  const oneLine = cell.replace(/\s*\n\s*/g, ' ');
  const chars = [...oneLine];
  return chars.length > MAX_CELL_WIDTH ? `${chars.slice(0, MAX_CELL_WIDTH - 1).join('')}…` : oneLine;
}

function pad(text: string, size: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return right ? fill + text : text + fill;
}

export function layoutTable(columns: string[], rows: string[][]): TableLines {
  const header = columns.map(shorten);
  const body = rows.map((row) => columns.map((_, index) => shorten(row[index] ?? '')));
  const widths = header.map((name, index) =>
    Math.max(width(name), ...body.map((row) => width(row[index] ?? ''))),
  );
  const numeric = header.map(
    (_, index) =>
      body.length > 0 && body.every((row) => row[index] === '' || NUMERIC_CELL.test(row[index] ?? '')),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, index) => pad(cell, widths[index] ?? 0, numeric[index] ?? false))
      .join(COLUMN_GAP)
      .trimEnd();
  return {
    header: line(header),
    rule: widths.map((size) => '─'.repeat(size)).join(COLUMN_GAP),
    rows: body.map(line),
  };
}
