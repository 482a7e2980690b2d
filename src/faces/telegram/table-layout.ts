/**
 * A table block as monospace lines for a Telegram <pre>: a header line, a rule, one line per row, columns
 * padded to a common width. Columns whose cells are all numbers are right-aligned so digits line up;
 * the others are left-aligned. Very long cells are shortened with `…` so one row stays readable on a phone.
 */
import { ellipsize, padTo, textWidth } from '../../text.js';

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

function shorten(cell: string): string {
  const oneLine = cell.replace(/\s*\n\s*/g, ' ');
  return ellipsize(oneLine, MAX_CELL_WIDTH);
}

export function layoutTable(columns: string[], rows: string[][]): TableLines {
  const header = columns.map(shorten);
  const body = rows.map((row) => columns.map((_, index) => shorten(row[index] ?? '')));
  const widths = header.map((name, index) =>
    Math.max(textWidth(name), ...body.map((row) => textWidth(row[index] ?? ''))),
  );
  const numeric = header.map(
    (_, index) =>
      body.length > 0 && body.every((row) => row[index] === '' || NUMERIC_CELL.test(row[index] ?? '')),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, index) => padTo(cell, widths[index] ?? 0, numeric[index] ?? false))
      .join(COLUMN_GAP)
      .trimEnd();
  return {
    header: line(header),
    rule: widths.map((size) => '─'.repeat(size)).join(COLUMN_GAP),
    rows: body.map(line),
  };
}
