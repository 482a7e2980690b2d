/**
 * The `descriptive` analysis computed directly: the object templates/stats/descriptive.py.njk prints.
 * Numeric columns: count, missing, mean, sample std, min, quantiles (type 7), max. Text and boolean
 * columns: count, missing, distinct values, the most frequent one (ties: first in the file) and its count.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import {
  isNumericColumn,
  type BooleanColumn,
  type NumericColumn,
  type Table,
  type TextColumn,
} from '../table.js';
import { ascending, mean, present, quantileSorted, std } from './basic.js';
import { columnNames, jsonNumber, requireColumn, unique } from './columns.js';

const ParamsSchema = z.object({
  file: z.string(),
  columns: z.array(z.string()),
  quantiles: z.array(z.number()),
});

export const DESCRIPTIVE_DEFINITIONS = {
  count: 'non-missing values; missing counts empty cells',
  std: 'sample standard deviation (divisor n - 1); null when count < 2',
  quantiles:
    "linear interpolation between order statistics (numpy 'linear', Hyndman-Fan type 7); " +
    'keys are the quantiles as percentages with up to 6 significant digits',
  categorical:
    'text and true/false columns: distinct counts different non-missing values; top is the ' +
    'most frequent value, ties broken by first appearance in the file; top_count is how often it occurs',
  null: 'a statistic that is undefined or not a finite number is null',
};

/** Python's format(x, "g"): 6 significant digits, trailing zeros dropped, exponent form below 1e-4. */
function formatG(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '', exponentText = '0'] = value.toExponential(5).split('e');
  const exponent = Number(exponentText);
  const trim = (text: string): string => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${trim(mantissa)}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return trim(value.toFixed(5 - exponent));
}

function describeNumbers(column: NumericColumn, quantiles: readonly number[]): Record<string, unknown> {
  const sorted = ascending(present(column));
  const n = sorted.length;
  const ifAny = (value: () => number): number | null => (n > 0 ? jsonNumber(value()) : null);
  return {
    count: n,
    missing: column.values.length - n,
    mean: ifAny(() => mean(sorted)),
    std: n >= 2 ? jsonNumber(std(sorted)) : null,
    min: ifAny(() => sorted[0] ?? NaN),
    quantiles: Object.fromEntries(
      quantiles.map((q) => [`${formatG(q * 100)}%`, ifAny(() => quantileSorted(sorted, q))]),
    ),
    max: ifAny(() => sorted[n - 1] ?? NaN),
  };
}

function describeCategories(column: TextColumn | BooleanColumn): Record<string, unknown> {
  const counts = new Map<string | boolean, number>();
  for (const value of column.values) {
    if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  let top: string | boolean | null = null;
  let topCount = 0;
  for (const [value, count] of counts) {
    if (count > topCount) [top, topCount] = [value, count];
  }
  const count = [...counts.values()].reduce((total, each) => total + each, 0);
  return {
    type: column.type,
    count,
    missing: column.values.length - count,
    distinct: counts.size,
    top,
    top_count: topCount,
  };
}

export function descriptive(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const { file, columns: wanted, quantiles } = parseOptions(ParamsSchema, params, 'descriptive parameters');
  const names = wanted.length > 0 ? unique(wanted) : columnNames(table);
  const selected = names.map((name) => requireColumn(table, name));
  const numeric = selected.filter(isNumericColumn);
  const other = selected.filter((column): column is TextColumn | BooleanColumn => !isNumericColumn(column));
  return {
    template: 'stats/descriptive',
    file,
    rows: table.rowCount,
    columns: Object.fromEntries(numeric.map((column) => [column.name, describeNumbers(column, quantiles)])),
    categorical: Object.fromEntries(other.map((column) => [column.name, describeCategories(column)])),
    definitions: DESCRIPTIVE_DEFINITIONS,
  };
}
