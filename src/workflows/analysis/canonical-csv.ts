/**
 * The canonical CSV of a table: what a session gets, whatever the user uploaded (CSV, TSV, xlsx, UTF-16).
 * Comma-separated, RFC 4180 quoting, `\n` line ends, UTF-8; missing cells empty; numbers in JavaScript's
 * shortest round-trip form, read back exactly by pandas with `float_precision="round_trip"` (whole values
 * of `number` columns get `.0` so they stay floats); infinities as `inf`/`-inf`; booleans as True/False. pandas reads it back with the types the table has.
 */
import type { Column, Table } from './table.js';

function quote(text: string): string {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

function numberText(value: number, type: Column['type']): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  const text = Object.is(value, -0) ? '-0' : String(value);
  // A float column written as "1" would read back as int64 (or uint64): keep it a float.
  return type === 'number' && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

function cellText(column: Column, row: number): string {
  const value = column.values[row];
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return numberText(value, column.type);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return quote(value);
}

export function tableToCsv(table: Table): string {
  const lines = [table.columns.map((column) => quote(column.name)).join(',')];
  for (let row = 0; row < table.rowCount; row += 1) {
    const line = table.columns.map((column) => cellText(column, row)).join(',');
    // pandas skips blank lines: a row of one missing cell is written as a quoted empty cell instead.
    lines.push(line === '' ? '""' : line);
  }
  return `${lines.join('\n')}\n`;
}
