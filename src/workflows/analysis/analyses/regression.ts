/**
 * The `regression` analysis: ordinary least squares of a numeric target on features with an intercept,
 * coefficients with standard errors, t and p values, R², adjusted R², residual std error and the F test
 * (stats/regression).
 */
import { chooseFeatures, requireColumns, requireNumeric, unique } from '../direct/columns.js';
import { regression } from '../direct/regression.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import { failWithExample } from '../usage-example.js';

type Row = Record<string, unknown>;

export const regressionAnalysis: AnalysisSpec = {
  name: 'regression',
  templateId: 'stats/regression',
  summary:
    'linear regression (OLS) of one numeric column on others: coefficients, standard errors, p-values, R²',
  examples: [
    '/script regression price area rooms',
    '/script regression price',
    'regression of price on area and district',
  ],
  keywords: [
    'regression',
    'regress',
    'linear model',
    'ols',
    'least squares',
    'coefficients',
    'r squared',
    'r2',
  ],
  charts: false,
  paramsFromColumns(columns, table) {
    const [target, ...named] = columns;
    if (target === undefined) {
      failWithExample('name the target column first, then the features', {
        analysis: 'regression',
        columns: ['price', 'area', 'rooms'],
      });
    }
    requireColumns(table, columns);
    requireNumeric(table, target);
    chooseFeatures(table, target, named);
    const features = unique(named);
    return features.length > 0 ? { target, features } : { target };
  },
  direct: regression,
  present(result) {
    const features = (result.features as string[] | undefined) ?? [];
    const coefficients = (result.coefficients as Row[] | undefined) ?? [];
    const categorical = (result.categorical as Record<string, { baseline: string }> | undefined) ?? {};
    const dropped = Number(result.rows_dropped ?? 0);
    const lines = [
      `${String(result.target)} ~ ${features.join(' + ')}: n = ${formatNumber(result.n)}` +
        (dropped > 0 ? ` (${formatNumber(dropped)} rows with missing values dropped)` : ''),
      `R² = ${formatNumber(result.r_squared)}, adjusted R² = ${formatNumber(result.adjusted_r_squared)}, ` +
        `residual std error = ${formatNumber(result.residual_std_error)}`,
      `F = ${formatNumber(result.f_statistic)} on ${formatNumber(result.df_model)} and ` +
        `${formatNumber(result.df_residual)} degrees of freedom, p = ${formatNumber(result.f_p_value)}`,
      ...Object.entries(categorical).map(
        ([name, { baseline }]) => `${name}: each ${name}=value term is relative to ${name}=${baseline}`,
      ),
    ];
    const blocks: Block[] = [
      { kind: 'text', text: lines.join('\n') },
      {
        kind: 'table',
        title: 'Coefficients',
        columns: ['term', 'estimate', 'std error', 't', 'p'],
        rows: coefficients.map((row) => [
          String(row.term),
          ...['estimate', 'std_error', 't', 'p'].map((key) => formatNumber(row[key])),
        ]),
      },
    ];
    return blocks;
  },
};
