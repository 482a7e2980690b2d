/**
 * descriptive, correlation, regression and group_summary: for every supported option on each dataset, the
 * script the `stats` template generates, run with pandas/numpy/scipy in the real sandbox, prints what the
 * direct engine computes (to 1e-9); both refuse the same bad requests with the same message. Direct values
 * are also checked against numbers worked out by hand and against scipy's own functions, so a mistake the
 * template and the direct engine shared could not pass.
 */
import { describe, expect, test } from 'vitest';
import { correlationAnalysis } from '../../../src/workflows/analysis/analyses/correlation.js';
import { descriptiveAnalysis } from '../../../src/workflows/analysis/analyses/descriptive.js';
import { groupSummaryAnalysis } from '../../../src/workflows/analysis/analyses/group-summary.js';
import { regressionAnalysis } from '../../../src/workflows/analysis/analyses/regression.js';
import { kendallTau } from '../../../src/workflows/analysis/direct/kendall.js';
import type { AnalysisSpec } from '../../../src/workflows/analysis/spec.js';
import type { Column, Table } from '../../../src/workflows/analysis/table.js';
import { DATASETS, housing, survey } from './datasets.js';
import { analysisSandbox, expectClose } from './harness.js';

const sandbox = analysisSandbox(['pandas', 'numpy', 'scipy.stats', 'scipy.linalg'], 4);

/** The script's result equals the direct engine's (to 1e-9); returns the direct one. */
async function scriptEqualsDirect(
  spec: AnalysisSpec,
  params: Record<string, unknown>,
  table: Table,
): Promise<Record<string, unknown>> {
  return (await sandbox.scriptEqualsDirect(spec, params, table)).direct;
}

function numbers(name: string, values: (number | null)[], type: 'integer' | 'number' = 'number'): Column {
  return { name, type, values, missing: values.filter((value) => value === null).length };
}

function texts(name: string, values: (string | null)[]): Column {
  return { name, type: 'text', values, missing: values.filter((value) => value === null).length };
}

function table(...columns: Column[]): Table {
  return { columns, rowCount: columns[0]?.values.length ?? 0 };
}

function dataset(name: string): Table {
  const make = DATASETS[name];
  if (make === undefined) throw new Error(`no dataset ${name} in datasets.ts`);
  return make();
}

const datasets = Object.keys(DATASETS).map((name) => ({ name, table: dataset(name) }));

describe.concurrent('descriptive: script equals direct', () => {
  const options: Record<string, unknown>[] = [
    {},
    { quantiles: [0, 0.1, 0.333333333, 0.5, 0.95, 1, 0.00001] },
    { quantiles: [] },
  ];
  const subsets: Record<string, string[]> = {
    housing: ['price', 'district', 'balcony', 'price'],
    flowers: ['species', 'petal_width'],
    survey: ['region', 'income_k'],
  };
  test.each(datasets)(
    '$name: defaults, quantile lists, a column subset with text columns',
    async ({ name, table }) => {
      const results = await Promise.all([
        ...options.map((params) => scriptEqualsDirect(descriptiveAnalysis, params, table)),
        scriptEqualsDirect(descriptiveAnalysis, { columns: subsets[name] }, table),
      ]);
      const [defaults, quantiles, , subset] = results;
      const numeric = table.columns.filter((column) => column.type === 'integer' || column.type === 'number');
      expect(Object.keys(defaults?.columns as object)).toEqual(numeric.map((column) => column.name));
      const firstColumn = Object.values(quantiles?.columns as Record<string, { quantiles: object }>)[0];
      expect(Object.keys(firstColumn?.quantiles ?? {})).toEqual([
        '0%',
        '10%',
        '33.3333%',
        '50%',
        '95%',
        '100%',
        '0.001%',
      ]);
      const wanted = [...new Set(subsets[name])];
      const described = [
        ...Object.keys(subset?.columns as object),
        ...Object.keys(subset?.categorical as object),
      ];
      expect(described.sort()).toEqual([...wanted].sort());
    },
  );

  test('hand-worked: mean, sample std, type 7 quantiles, most frequent with ties to the first seen', () => {
    const tiny = table(numbers('x', [4, null, 1, 3, 2]), texts('t', ['b', 'a', null, 'a', 'b']), {
      name: 'flag',
      type: 'boolean',
      values: [false, true, true, null, false],
      missing: 1,
    });
    const result = descriptiveAnalysis.direct(tiny, {
      file: 'data.csv',
      columns: [],
      quantiles: [0.25, 0.5, 0.9],
    });
    expect(result.columns).toEqual({
      x: {
        count: 4,
        missing: 1,
        mean: 2.5,
        std: Math.sqrt(5 / 3),
        min: 1,
        quantiles: { '25%': 1.75, '50%': 2.5, '90%': 3.7 },
        max: 4,
      },
    });
    expect(result.categorical).toEqual({
      t: { type: 'text', count: 4, missing: 1, distinct: 2, top: 'b', top_count: 2 },
      flag: { type: 'boolean', count: 4, missing: 1, distinct: 2, top: false, top_count: 2 },
    });
  });

  test('an unknown column is refused the same way by both', async () => {
    await sandbox.bothRefuse(
      descriptiveAnalysis,
      { columns: ['area', 'nope'] },
      housing(),
      /^no column "nope"; the table has columns "area", "rooms"/,
    );
  });
});

describe.concurrent('correlation: script equals direct', () => {
  const subsets: Record<string, string[]> = {
    housing: ['year_built', 'price', 'area', 'price'],
    flowers: ['petal_width', 'sepal_length'],
    survey: ['income_k', 'score', 'age'],
  };
  const cases = datasets.flatMap(({ name, table }) =>
    (['pearson', 'spearman', 'kendall'] as const).map((method) => ({ name, table, method })),
  );
  test.each(cases)('$name, $method: every numeric column, and a subset', async ({ name, table, method }) => {
    const [all, subset] = await Promise.all([
      scriptEqualsDirect(correlationAnalysis, { method }, table),
      scriptEqualsDirect(correlationAnalysis, { method, columns: subsets[name] }, table),
    ]);
    const numeric = table.columns.filter((column) => column.type === 'integer' || column.type === 'number');
    expect(all.columns).toEqual(numeric.map((column) => column.name));
    expect(subset.columns).toEqual([...new Set(subsets[name])]);
    const pairs = all.pairs as { r: number; p: number; n: number }[];
    expect(pairs).toHaveLength((numeric.length * (numeric.length - 1)) / 2);
    const strengths = pairs.map((pair) => Number(Math.abs(pair.r).toFixed(12)));
    expect(strengths).toEqual([...strengths].sort((a, b) => b - a));
  });

  test('small tables: exact Kendall p-values (no ties, n <= 33 and n > 33 with one swap) and missing cells', async () => {
    const ten = table(
      numbers('a', [3.5, 1.25, 9, 4, 7, 2, 8, 6, 10, 5]),
      numbers('b', [2, 1, 10, 5, 6, 3, 7, 8, 9, 4]),
      numbers('c', [1, 2, 3, null, 5, 6, 7, 8, 9, 0.5]),
    );
    const forty = table(
      numbers(
        'x',
        Array.from({ length: 40 }, (_, i) => i),
      ),
      numbers(
        'y',
        Array.from({ length: 40 }, (_, i) => (i === 10 ? 11 : i === 11 ? 10 : i) * 1.5),
      ),
    );
    await Promise.all(
      (['pearson', 'spearman', 'kendall'] as const).flatMap((method) => [
        scriptEqualsDirect(correlationAnalysis, { method }, ten),
        scriptEqualsDirect(correlationAnalysis, { method }, forty),
      ]),
    );
  });

  test('hand-worked: r = 0.8, tau = 0.6 with exact p = 28/120, and the t-test p from the closed-form t(3) CDF', () => {
    const tiny = table(numbers('x', [1, 2, 3, 4, 5]), numbers('y', [2, 1, 4, 3, 5]));
    const run = (method: string) =>
      (
        correlationAnalysis.direct(tiny, { file: 'data.csv', columns: [], method }).pairs as {
          r: number;
          p: number;
        }[]
      )[0];
    // t(3) two-sided tail: 1 - (2/π)(θ + sin θ cos θ) with θ = atan(t/√3).
    const t = 0.8 * Math.sqrt(3 / (1 - 0.64));
    const theta = Math.atan(t / Math.sqrt(3));
    const p = 1 - (2 / Math.PI) * (theta + Math.sin(theta) * Math.cos(theta));
    expect(run('pearson')?.r).toBeCloseTo(0.8, 14);
    expect(run('pearson')?.p).toBeCloseTo(p, 13);
    expect(run('spearman')?.r).toBeCloseTo(0.8, 14);
    expect(run('kendall')).toEqual({
      x: 'x',
      y: 'y',
      r: expect.closeTo(0.6, 14) as number,
      p: expect.closeTo(28 / 120, 14) as number,
      n: 5,
    });
  });

  test('p-values equal scipy.stats pearsonr, spearmanr and kendalltau called directly', async () => {
    const x = [1, 2, 2, 3, 5, 5, 5, 8, 9, 9, 10, 12, 12, 12, 15, 16, 18, 18, 20, 21];
    const y = [2, 1, 3, 3, 4, 6, 5, 9, 7, 9, 11, 10, 14, 12, 13, 18, 15, 18, 21, 19];
    const run = await sandbox.engine().run({
      language: 'python',
      source: [
        'import json',
        'from scipy import stats',
        `x = ${JSON.stringify(x)}`,
        `y = ${JSON.stringify(y)}`,
        'print(json.dumps([stats.pearsonr(x, y)[1], stats.spearmanr(x, y)[1], stats.kendalltau(x, y)[1],',
        '    stats.kendalltau(x[:12], y[:12])[1], stats.kendalltau([4, 1, 3, 2, 6, 5, 8, 7], [1, 2, 3, 4, 5, 6, 7, 8])[1]]))',
      ].join('\n'),
      limits: { timeoutMs: 60_000, cpuMs: 60_000 },
    });
    const [pearsonP, spearmanP, kendallP, kendallSmallP, kendallExactP] = JSON.parse(run.stdout) as number[];
    const pairs = (method: string) =>
      (
        correlationAnalysis.direct(table(numbers('x', x), numbers('y', y)), {
          file: 'data.csv',
          columns: [],
          method,
        }).pairs as { p: number }[]
      )[0]?.p;
    expect(pairs('pearson')).toBeCloseTo(pearsonP ?? NaN, 12);
    expect(pairs('spearman')).toBeCloseTo(spearmanP ?? NaN, 12);
    expect(pairs('kendall')).toBeCloseTo(kendallP ?? NaN, 12);
    expect(kendallTau(x.slice(0, 12), y.slice(0, 12)).p).toBeCloseTo(kendallSmallP ?? NaN, 12);
    expect(kendallTau([4, 1, 3, 2, 6, 5, 8, 7], [1, 2, 3, 4, 5, 6, 7, 8]).p).toBeCloseTo(
      kendallExactP ?? NaN,
      14,
    );
  });

  test('text columns and a single column are refused the same way by both', async () => {
    await Promise.all([
      sandbox.bothRefuse(
        correlationAnalysis,
        { columns: ['price', 'district'] },
        housing(),
        /^column "district" is not numeric \(it holds text\); numeric columns: "area", "rooms", "price", "year_built"$/,
      ),
      sandbox.bothRefuse(
        correlationAnalysis,
        { columns: ['balcony', 'price'] },
        housing(),
        /^column "balcony" is not numeric \(it holds true\/false values\)/,
      ),
      sandbox.bothRefuse(
        correlationAnalysis,
        { columns: ['price'] },
        housing(),
        /^a correlation needs at least two numeric columns; it has "price"$/,
      ),
    ]);
  });
});

describe.concurrent('regression: script equals direct', () => {
  const cases: { name: string; params: Record<string, unknown> }[] = [
    { name: 'housing', params: { target: 'price' } },
    { name: 'housing', params: { target: 'price', features: ['area', 'rooms', 'district', 'balcony'] } },
    { name: 'housing', params: { target: 'year_built', features: ['area'] } },
    { name: 'flowers', params: { target: 'petal_length' } },
    { name: 'flowers', params: { target: 'sepal_length', features: ['sepal_width', 'species'] } },
    { name: 'survey', params: { target: 'score', features: ['age', 'income'] } },
    { name: 'survey', params: { target: 'income', features: ['age', 'region', 'score'] } },
  ];
  test.each(cases)('$name: $params', async ({ name, params }) => {
    const result = await scriptEqualsDirect(regressionAnalysis, params, dataset(name));
    const coefficients = result.coefficients as { term: string; estimate: number }[];
    expect(coefficients[0]?.term).toBe('(intercept)');
    expect(result.df_residual).toBe((result.n as number) - coefficients.length);
  });

  test('text and true/false features become 0/1 columns against the first sorted value', () => {
    const result = regressionAnalysis.direct(housing(), {
      file: 'data.csv',
      target: 'price',
      features: ['area', 'district', 'balcony'],
    });
    expect((result.coefficients as { term: string }[]).map((row) => row.term)).toEqual([
      '(intercept)',
      'area',
      'district=north',
      'district=riverside',
      'district=south',
      'balcony=True',
    ]);
    expect(result.categorical).toEqual({
      district: { baseline: 'centre', levels: ['centre', 'north', 'riverside', 'south'] },
      balcony: { baseline: 'False', levels: ['False', 'True'] },
    });
  });

  test('hand-worked: y = 1.1 + 1.1x, standard errors, R², F and p from the closed-form t(2) tail', () => {
    const tiny = table(numbers('x', [0, 1, 2, 3, null]), numbers('y', [1, 3, 2, 5, 7]));
    const result = regressionAnalysis.direct(tiny, { file: 'data.csv', target: 'y', features: [] });
    const [intercept, slope] = result.coefficients as {
      estimate: number;
      std_error: number;
      t: number;
      p: number;
    }[];
    const tSlope = 1.1 / Math.sqrt(0.27);
    expectClose(
      {
        intercept,
        slope,
        r2: result.r_squared,
        f: result.f_statistic,
        fp: result.f_p_value,
        sigma: result.residual_std_error,
      },
      {
        intercept: {
          term: '(intercept)',
          estimate: 1.1,
          std_error: Math.sqrt(0.945),
          t: 1.1 / Math.sqrt(0.945),
          p: 1 - 1.1 / Math.sqrt(0.945) / Math.sqrt(2 + 1.21 / 0.945),
        },
        slope: {
          term: 'x',
          estimate: 1.1,
          std_error: Math.sqrt(0.27),
          t: tSlope,
          p: 1 - tSlope / Math.sqrt(2 + tSlope ** 2),
        },
        r2: 1 - 2.7 / 8.75,
        f: 6.05 / 1.35,
        fp: 1 - tSlope / Math.sqrt(2 + tSlope ** 2),
        sigma: Math.sqrt(1.35),
      },
      1e-12,
    );
    expect(result).toMatchObject({ n: 4, rows_dropped: 1, df_model: 1, df_residual: 2 });
  });

  test('perfect collinearity (income and income_k) and other misfits are refused the same way by both', async () => {
    await Promise.all([
      sandbox.bothRefuse(
        regressionAnalysis,
        { target: 'score' },
        survey(),
        /^term "income_k" is a linear combination of the intercept, "age", "income" in the complete rows \(perfect collinearity\); drop it or one of those from features$/,
      ),
      sandbox.bothRefuse(
        regressionAnalysis,
        { target: 'district' },
        housing(),
        /^column "district" is not numeric/,
      ),
      sandbox.bothRefuse(
        regressionAnalysis,
        { target: 'price', features: ['area', 'price'] },
        housing(),
        /cannot also be a feature/,
      ),
      sandbox.bothRefuse(
        regressionAnalysis,
        { target: 'age', features: ['income', 'nope'] },
        survey(),
        /^no column "nope"/,
      ),
      sandbox.bothRefuse(
        regressionAnalysis,
        { target: 'y', features: ['x', 'group'] },
        table(numbers('y', [1, 2, 3, 4]), numbers('x', [1, 3, 2, 5]), texts('group', ['a', 'a', 'a', null])),
        /^feature "group" has 1 distinct value\(s\) in the complete rows; it needs two$/,
      ),
    ]);
  });
});

describe.concurrent('group_summary: script equals direct', () => {
  const cases: { name: string; params: Record<string, unknown> }[] = [
    { name: 'housing', params: { by: 'district' } },
    { name: 'housing', params: { by: 'rooms', columns: ['price', 'area'] } },
    { name: 'housing', params: { by: 'balcony', columns: ['price'] } },
    // A number column holding only whole numbers (pandas reads it as floats) groups rows too.
    { name: 'housing', params: { by: 'price', columns: ['area'] } },
    { name: 'flowers', params: { by: 'species' } },
    { name: 'survey', params: { by: 'region' } },
    { name: 'survey', params: { by: 'score', columns: ['income', 'age'] } },
  ];
  test.each(cases)('$name: $params', async ({ name, params }) => {
    const result = await scriptEqualsDirect(groupSummaryAnalysis, params, dataset(name));
    const groups = result.groups as { rows: number }[];
    const total = groups.reduce((sum, group) => sum + group.rows, 0) + (result.rows_without_group as number);
    expect(total).toBe(result.rows);
  });

  test('keys in Python order (code points, not UTF-16 units); missing keys form no group', async () => {
    const tiny = table(
      texts('key', ['b', 'a', null, 'B', '\uFFFD', '𝔸', 'a', 'é']),
      numbers('v', [1, 2, 3, 4, 5, 6, null, 8]),
    );
    const result = await scriptEqualsDirect(groupSummaryAnalysis, { by: 'key' }, tiny);
    const groups = result.groups as { key: string; rows: number; columns: { v: Record<string, unknown> } }[];
    expect(groups.map((group) => group.key)).toEqual(['B', 'a', 'b', 'é', '\uFFFD', '𝔸']);
    expect(groups[1]).toEqual({
      key: 'a',
      rows: 2,
      columns: { v: { count: 1, mean: 2, std: null, min: 2, median: 2, max: 2 } },
    });
    expect(result.rows_without_group).toBe(1);
  });

  test('a grouping column of fractions or of too many values, and a text column to summarise, are refused the same way by both', async () => {
    await Promise.all([
      sandbox.bothRefuse(
        groupSummaryAnalysis,
        { by: 'area' },
        housing(),
        /^column "area" holds numbers that are not whole; group by a text, true\/false or whole-number column \("rooms", "district", "price", "year_built", "balcony"\)$/,
      ),
      sandbox.bothRefuse(
        groupSummaryAnalysis,
        { by: 'district', columns: ['price', 'balcony'] },
        housing(),
        /^column "balcony" is not numeric/,
      ),
      sandbox.bothRefuse(
        groupSummaryAnalysis,
        { by: 'id' },
        table(
          numbers(
            'id',
            Array.from({ length: 1001 }, (_, i) => i),
            'integer',
          ),
          numbers(
            'v',
            Array.from({ length: 1001 }, (_, i) => i / 2),
          ),
        ),
        /^column "id" has 1001 different values; group_summary makes at most 1000 groups/,
      ),
      sandbox.bothRefuse(
        groupSummaryAnalysis,
        { by: 'district', columns: ['district'] },
        housing(),
        /^column "district" is not numeric/,
      ),
    ]);
  });
});

describe('requests by column names (paramsFromColumns)', () => {
  const flats = housing();
  test('regression: the first column is the target, the rest are features', () => {
    expect(regressionAnalysis.paramsFromColumns(['price', 'area', 'rooms'], flats)).toEqual({
      target: 'price',
      features: ['area', 'rooms'],
    });
    expect(regressionAnalysis.paramsFromColumns(['price'], flats)).toEqual({ target: 'price' });
    expect(() => regressionAnalysis.paramsFromColumns([], flats)).toThrow(/name the target column first/);
    expect(() => regressionAnalysis.paramsFromColumns(['district', 'area'], flats)).toThrow(
      /column "district" is not numeric \(it holds text\)/,
    );
  });

  test('group_summary: the first non-numeric column groups, else the first column', () => {
    expect(groupSummaryAnalysis.paramsFromColumns(['price', 'district', 'area'], flats)).toEqual({
      by: 'district',
      columns: ['price', 'area'],
    });
    expect(groupSummaryAnalysis.paramsFromColumns(['rooms', 'price'], flats)).toEqual({
      by: 'rooms',
      columns: ['price'],
    });
    expect(() => groupSummaryAnalysis.paramsFromColumns(['area', 'price'], flats)).toThrow(
      /"area" holds numbers that are not whole/,
    );
    expect(() => groupSummaryAnalysis.paramsFromColumns(['district', 'balcony'], flats)).toThrow(
      /"balcony" is not numeric/,
    );
  });

  test('correlation and descriptive: the columns named, checked', () => {
    expect(correlationAnalysis.paramsFromColumns(['price', 'area'], flats)).toEqual({
      columns: ['price', 'area'],
    });
    expect(correlationAnalysis.paramsFromColumns([], flats)).toEqual({});
    expect(() => correlationAnalysis.paramsFromColumns(['price'], flats)).toThrow(
      /two or more numeric columns/,
    );
    expect(() => correlationAnalysis.paramsFromColumns(['price', 'district'], flats)).toThrow(/not numeric/);
    expect(descriptiveAnalysis.paramsFromColumns(['district', 'price'], flats)).toEqual({
      columns: ['district', 'price'],
    });
    expect(() => descriptiveAnalysis.paramsFromColumns(['prize'], flats)).toThrow(
      /^no column "prize"; the table has columns/,
    );
  });
});

describe('presentation', () => {
  test('tables with rounded numbers for each analysis', () => {
    const flats = housing();
    const regression = regressionAnalysis.present(
      regressionAnalysis.direct(flats, { file: 'data.csv', target: 'price', features: ['area', 'district'] }),
    );
    const coefficients = regression.find((block) => block.kind === 'table');
    expect(coefficients?.kind === 'table' && coefficients.rows.map((row) => row[0])).toEqual([
      '(intercept)',
      'area',
      'district=north',
      'district=riverside',
      'district=south',
    ]);
    expect(regression[0]).toMatchObject({
      kind: 'text',
      text: expect.stringMatching(/^price ~ area \+ district: n = 113 \(7 rows/) as string,
    });

    const described = descriptiveAnalysis.present(
      descriptiveAnalysis.direct(flats, { file: 'data.csv', columns: [], quantiles: [0.25, 0.5, 0.75] }),
    );
    expect(described[0]).toMatchObject({
      kind: 'table',
      columns: ['column', 'count', 'missing', 'mean', 'std', 'min', '25%', '50%', '75%', 'max'],
    });
    expect(described[0]?.kind === 'table' && described[0].rows[0]).toEqual([
      'area',
      '120',
      '0',
      '80.29',
      '25.84',
      '35.1',
      '57.73',
      '81.2',
      '102.65',
      '124.6',
    ]);

    const correlated = correlationAnalysis.present(
      correlationAnalysis.direct(flats, { file: 'data.csv', columns: ['price', 'area'], method: 'spearman' }),
    );
    expect(correlated[0]).toMatchObject({
      kind: 'table',
      title: 'spearman correlation (rho)',
      columns: ['', 'price', 'area'],
    });

    const grouped = groupSummaryAnalysis.present(
      groupSummaryAnalysis.direct(flats, { file: 'data.csv', by: 'district', columns: ['price'] }),
    );
    expect(grouped[0]).toMatchObject({
      kind: 'table',
      title: 'price by district',
      columns: ['district', 'rows', 'count', 'mean', 'std', 'min', 'median', 'max'],
    });
    expect(grouped[0]?.kind === 'table' && grouped[0].rows.map((row) => row[0])).toEqual([
      'centre',
      'north',
      'riverside',
      'south',
    ]);
  });
});
