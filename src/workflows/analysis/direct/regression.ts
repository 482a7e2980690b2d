/**
 * The `regression` analysis computed directly: the object templates/stats/regression.py.njk prints.
 * Ordinary least squares with an intercept on the complete rows; text and boolean features become 0/1
 * columns (drop-first, values in Python's sorted order); solved by Householder QR of the design's columns
 * scaled to unit length, which also decides perfect collinearity (|R_jj| < 1e-8) the way the script does.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import { isNumericColumn, type Column, type Table } from '../table.js';
import { mean, sum } from './basic.js';
import {
  chooseFeatures,
  comparePython,
  fail,
  jsonNumber,
  pythonText,
  quoted,
  requireColumn,
  requireColumns,
  requireNumeric,
} from './columns.js';
import { fUpperTail, studentTwoSided } from './distributions.js';
import { householderQr, invertUpper, solveUpper } from './linear-algebra.js';

const ParamsSchema = z.object({ file: z.string(), target: z.string(), features: z.array(z.string()) });

/** A term whose unit-length column is closer than this to the span of the terms before it is an error. */
export const COLLINEARITY_TOLERANCE = 1e-8;

export const REGRESSION_DEFINITIONS = {
  model:
    'ordinary least squares with an intercept; text and true/false features as 0/1 columns ' +
    '(term feature=value) for every value but the first in sorted order (the baseline)',
  missing: 'rows with a missing or infinite target or feature are dropped (listwise deletion)',
  std_error: "from sigma^2 (X'X)^-1 with sigma^2 = residual sum of squares / (n - p)",
  p: "two-sided, Student's t on n - p degrees of freedom",
  r_squared: '1 - RSS/TSS; adjusted: 1 - (1 - R^2)(n - 1)/(n - p)',
  f_statistic: '((TSS - RSS)/(p - 1)) / (RSS/(n - p)), p-value from F(p - 1, n - p)',
  collinearity:
    'a term whose column (scaled to unit length) is within 1e-8 of the span of the terms ' +
    'before it is an error',
};

function hasValue(column: Column, row: number): boolean {
  const value = column.values[row] ?? null;
  return typeof value === 'number' ? Number.isFinite(value) : value !== null;
}

interface Design {
  terms: string[];
  /** The design matrix by columns, the intercept first. */
  columns: number[][];
  categorical: Record<string, { baseline: string; levels: string[] }>;
}

/** The intercept, numeric features as they are, other features as 0/1 columns for all but the first value. */
function buildDesign(features: readonly Column[], rows: readonly number[]): Design {
  const design: Design = { terms: ['(intercept)'], columns: [rows.map(() => 1)], categorical: {} };
  for (const feature of features) {
    const values = rows.map((row) => feature.values[row] ?? NaN);
    if (isNumericColumn(feature)) {
      design.terms.push(feature.name);
      design.columns.push(values.map(Number));
      continue;
    }
    const levels = [...new Set(values)].sort(comparePython);
    if (levels.length < 2) {
      fail(
        `feature ${quoted([feature.name])} has ${levels.length} distinct value(s) in the complete rows; it needs two`,
      );
    }
    const texts = levels.map((level) => pythonText(level));
    design.categorical = {
      ...design.categorical,
      [feature.name]: { baseline: texts[0] ?? '', levels: texts },
    };
    for (const level of levels.slice(1)) {
      design.terms.push(`${feature.name}=${pythonText(level)}`);
      design.columns.push(values.map((value) => (value === level ? 1 : 0)));
    }
  }
  return design;
}

function collinear(terms: readonly string[], j: number): never {
  const before = ['the intercept', ...terms.slice(1, j).map((term) => JSON.stringify(term))];
  return fail(
    `term ${quoted([terms[j] ?? ''])} is a linear combination of ${before.join(', ')} in the complete rows ` +
      '(perfect collinearity); drop it or one of those from features',
  );
}

interface Fit {
  beta: number[];
  /** Standard errors divided by sigma: sqrt of the diagonal of (X'X)^-1. */
  stdErrors: number[];
  /** Residual sum of squares. */
  rss: number;
}

/** Least squares by QR of the unit-length columns; throws for the first term collinear with those before it. */
function leastSquares(terms: readonly string[], columns: readonly number[][], y: readonly number[]): Fit {
  const norms = columns.map((column) => Math.sqrt(sum(column.map((value) => value * value))));
  const scaled = columns.map((column, j) => {
    const norm = norms[j] ?? 0;
    return column.map((value) => (norm > 0 ? value / norm : value));
  });
  const { r, qtb } = householderQr(scaled, y);
  norms.forEach((norm, j) => {
    if (norm === 0 || Math.abs(r[j]?.[j] ?? 0) < COLLINEARITY_TOLERANCE) collinear(terms, j);
  });
  const beta = solveUpper(r, qtb).map((value, j) => value / (norms[j] ?? NaN));
  const residuals = y.map(
    (value, i) => value - sum(columns.map((column, j) => (column[i] ?? 0) * (beta[j] ?? 0))),
  );
  const stdErrors = invertUpper(r).map(
    (row, j) => Math.sqrt(sum(row.map((value) => value * value))) / (norms[j] ?? NaN),
  );
  return { beta, stdErrors, rss: sum(residuals.map((value) => value * value)) };
}

export function regression(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const { file, target, features: wanted } = parseOptions(ParamsSchema, params, 'regression parameters');
  requireColumns(table, [target, ...wanted]);
  const targetColumn = requireNumeric(table, target);
  const names = chooseFeatures(table, target, wanted);
  const features = names.map((name) => requireColumn(table, name));
  const used = [targetColumn, ...features];
  const rows = Array.from({ length: table.rowCount }, (_, row) => row).filter((row) =>
    used.every((column) => hasValue(column, row)),
  );
  const n = rows.length;
  const y = rows.map((row) => targetColumn.values[row] ?? NaN);
  const { terms, columns, categorical } = buildDesign(features, rows);
  const p = terms.length;
  if (n <= p) fail(`${p} terms (intercept and features) need more than ${p} complete rows; there are ${n}`);
  if (y.every((value) => value === y[0])) {
    fail(`the target ${quoted([target])} is constant in the complete rows; there is nothing to explain`);
  }

  const { beta, stdErrors, rss } = leastSquares(terms, columns, y);
  const df = n - p;
  const sigma = Math.sqrt(rss / df);
  const meanY = mean(y);
  const tss = sum(y.map((value) => (value - meanY) ** 2));
  const rSquared = 1 - rss / tss;
  const fStatistic = (tss - rss) / (p - 1) / (rss / df);

  return {
    template: 'stats/regression',
    file,
    target,
    features: names,
    rows: table.rowCount,
    n,
    rows_dropped: table.rowCount - n,
    categorical,
    coefficients: terms.map((term, j) => {
      const estimate = beta[j] ?? NaN;
      const stdError = sigma * (stdErrors[j] ?? NaN);
      const t = estimate / stdError;
      return {
        term,
        estimate: jsonNumber(estimate),
        std_error: jsonNumber(stdError),
        t: jsonNumber(t),
        p: jsonNumber(studentTwoSided(t, df)),
      };
    }),
    r_squared: jsonNumber(rSquared),
    adjusted_r_squared: jsonNumber(1 - ((1 - rSquared) * (n - 1)) / df),
    residual_std_error: jsonNumber(sigma),
    f_statistic: jsonNumber(fStatistic),
    f_p_value: jsonNumber(fUpperTail(fStatistic, p - 1, df)),
    df_model: p - 1,
    df_residual: df,
    definitions: REGRESSION_DEFINITIONS,
  };
}
