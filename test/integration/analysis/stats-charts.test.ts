/**
 * The chart analyses (histogram, scatter, boxplot). For every option on every dataset, the stats template
 * run in the real sandbox prints the JSON the direct engine computes (to 1e-9) and writes exactly the
 * PNG charts it lists; on tiny tables the direct numbers equal values worked out by hand (and checked
 * once against numpy 1.24 and matplotlib 3.6), so a mistake shared by script and engine cannot pass.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InvalidOptionsError } from '../../../src/errors.js';
import { boxplotAnalysis } from '../../../src/workflows/analysis/analyses/boxplot.js';
import { histogramAnalysis } from '../../../src/workflows/analysis/analyses/histogram.js';
import { scatterAnalysis } from '../../../src/workflows/analysis/analyses/scatter.js';
import type { AnalysisSpec } from '../../../src/workflows/analysis/spec.js';
import type { Column, Table } from '../../../src/workflows/analysis/table.js';
import { DATASETS, flowers, housing, survey } from './datasets.js';
import { analysisSandbox } from './harness.js';

const sandbox = analysisSandbox(['pandas', 'matplotlib.pyplot']);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the IHDR chunk, after checking the bytes are a PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Runs the template, compares with direct(), checks the charts; returns the script's result. */
async function scriptEqualsDirect(
  spec: AnalysisSpec,
  params: Record<string, unknown>,
  table: Table,
): Promise<Record<string, unknown>> {
  const { script } = await sandbox.scriptEqualsDirect(spec, params, table);
  const charts = script.result.charts as string[];
  expect(charts.length).toBeGreaterThan(0);
  expect([...script.files].sort()).toEqual([...charts].sort());
  for (const name of charts) {
    expect(name).toMatch(/^[A-Za-z0-9_-]+\.png$/);
    const { width, height } = pngSize(await readFile(join(script.outDir, name)));
    expect(width).toBeGreaterThanOrEqual(500);
    expect(width).toBeLessThanOrEqual(1700);
    expect(height).toBeGreaterThanOrEqual(400);
    expect(height).toBeLessThanOrEqual(700);
  }
  expect(spec.present(script.result).length).toBeGreaterThan(0);
  return script.result;
}

/** The category of each dataset, and a numeric pair to plot against each other. */
const PLOTS: Record<string, { x: string; y: string; by: string }> = {
  housing: { x: 'area', y: 'price', by: 'district' },
  flowers: { x: 'petal_length', y: 'petal_width', by: 'species' },
  // Collinear, with a category that has missing cells (the null group).
  survey: { x: 'income', y: 'income_k', by: 'region' },
};

function numbers(name: string, values: (number | null)[]): Column {
  return { name, type: 'number', values, missing: values.filter((value) => value === null).length };
}

const pad = <T>(values: T[], rows: number): (T | null)[] => [
  ...values,
  ...new Array<null>(rows - values.length).fill(null),
];

/** Ten rows of small known values; shorter columns are padded with missing cells. */
const tiny: Table = {
  rowCount: 10,
  columns: [
    numbers('v', [1, 2, 2, 3, 3, 3, 4, 4, 5, 10]),
    numbers('w', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
    numbers('tied', pad([5, 5, 5, 5, 9], 10)),
    numbers('constant', pad([2, 2, 2], 10)),
    numbers('with inf', pad([1, Infinity, -Infinity, 2], 10)),
    numbers('tenths', pad([0, 0.3, 1], 10)),
    numbers('empty', pad([], 10)),
    numbers('y', [2, 4, 5, 8, 7, 1, 1, 1, 1, 1]),
    {
      name: 'label',
      type: 'text',
      values: ['b', 'a', 'b', null, 'a', 'a', 'a', 'a', 'a', 'a'],
      missing: 1,
    },
    { name: 'size', type: 'integer', values: [10, 9, 10, 9, 10, 9, 10, 9, 10, 9], missing: 0 },
  ],
};

interface HistogramColumn {
  column: string;
  n: number;
  missing: number;
  infinite: number;
  edges: number[];
  counts: number[];
}

function histogramOf(bins: string, columns: string[]): Map<string, HistogramColumn> {
  const result = histogramAnalysis.direct(tiny, { file: 'data.csv', columns, bins });
  return new Map((result.columns as HistogramColumn[]).map((entry) => [entry.column, entry]));
}

describe.concurrent('script equals direct engine', { timeout: 60_000 }, () => {
  for (const [name, make] of Object.entries(DATASETS)) {
    const plot = PLOTS[name] ?? { x: '', y: '', by: '' };

    for (const bins of ['auto', 'fd', 'sturges', '7']) {
      test(`histogram of every numeric column of ${name}, bins ${bins}`, async () => {
        const result = await scriptEqualsDirect(histogramAnalysis, { bins }, make());
        const columns = result.columns as { counts: number[]; n: number }[];
        for (const column of columns) {
          expect(column.counts.reduce((a, b) => a + b, 0)).toBe(column.n);
          if (bins === '7') expect(column.counts).toHaveLength(7);
        }
      });
    }

    for (const by of [null, plot.by]) {
      for (const line of [true, false]) {
        test(`scatter ${plot.y} against ${plot.x} of ${name}, by ${String(by)}, line ${line}`, async () => {
          const result = await scriptEqualsDirect(
            scatterAnalysis,
            { x: plot.x, y: plot.y, by, line },
            make(),
          );
          expect(result.fit === null).toBe(!line);
        });
      }
    }

    for (const by of [null, plot.by]) {
      test(`boxplot of every numeric column of ${name}, by ${String(by)}`, async () => {
        await scriptEqualsDirect(boxplotAnalysis, { by }, make());
      });
    }
  }

  test('scatter and boxplot by whole numbers with missing cells (read by pandas as floats)', async () => {
    const result = await scriptEqualsDirect(
      scatterAnalysis,
      { x: 'age', y: 'income', by: 'score' },
      survey(),
    );
    expect((result.groups as { group: string | null }[]).map((group) => group.group)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      null,
    ]);
    // By default every numeric column but the category itself.
    const boxes = await scriptEqualsDirect(boxplotAnalysis, { by: 'score' }, survey());
    expect((boxes.columns as { column: string }[]).map((entry) => entry.column)).toEqual([
      'age',
      'income',
      'income_k',
    ]);
  });

  test('boxplot by a true/false column with missing cells', async () => {
    const result = await scriptEqualsDirect(
      boxplotAnalysis,
      { columns: ['price'], by: 'balcony' },
      housing(),
    );
    const [price] = result.columns as { boxes: { group: string }[] }[];
    expect(price?.boxes.map((box) => box.group)).toEqual(['False', 'True']);
  });

  test('the tiny table: numpy bins it as worked out by hand', async () => {
    const auto = await scriptEqualsDirect(histogramAnalysis, { bins: 'auto' }, tiny);
    const v = (auto.columns as HistogramColumn[]).find((entry) => entry.column === 'v');
    expect(v?.counts).toEqual([3, 3, 3, 0, 0, 1]);
    expect(auto.charts).toContain('histogram_with_inf.png');
  });

  test('the tiny table: 0.3 falls below the edge 3 * 0.1 in numpy too', async () => {
    const tenths = await scriptEqualsDirect(histogramAnalysis, { columns: ['tenths'], bins: '10' }, tiny);
    expect((tenths.columns as HistogramColumn[])[0]?.counts).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
  });

  test('the tiny table: boxes by a text column, and no box or chart for a column without values', async () => {
    const box = await scriptEqualsDirect(boxplotAnalysis, { columns: ['v'], by: 'label' }, tiny);
    expect(box.charts).toEqual(['boxplot_v_by_label.png']);
    const boxes = await scriptEqualsDirect(boxplotAnalysis, { by: null }, tiny);
    expect(boxes.charts).not.toContain('boxplot_empty.png');
    expect(boxes.charts).toContain('boxplot_with_inf.png');
  });

  test('at most 12 charts a run, with a note; the numbers still cover every column', async () => {
    const wide: Table = {
      rowCount: 3,
      columns: Array.from({ length: 13 }, (_, i) => numbers(`c${i + 1}`, [i, i + 1, i * 2])),
    };
    const result = await scriptEqualsDirect(histogramAnalysis, {}, wide);
    expect(result.columns).toHaveLength(13);
    expect(result.charts).toHaveLength(12);
    expect(result.charts).not.toContain('histogram_c13.png');
    expect(result.note).toBe(
      'charts drawn for the first 12 of 13 columns; name the columns to chart the others',
    );
  });

  test('a number column holding only whole numbers groups rows, as in group_summary', async () => {
    // tied is a number column (pandas reads it as floats): 5 in rows 0-3, 9 in row 4, missing after.
    const boxes = await scriptEqualsDirect(boxplotAnalysis, { columns: ['v'], by: 'tied' }, tiny);
    const [v] = boxes.columns as { boxes: { group: string; n: number }[] }[];
    expect(v?.boxes.map((box) => [box.group, box.n])).toEqual([
      ['5', 4],
      ['9', 1],
    ]);
    const points = await scriptEqualsDirect(scatterAnalysis, { x: 'w', y: 'v', by: 'tied' }, tiny);
    expect(points.groups).toEqual([
      { group: '5', n: 4 },
      { group: '9', n: 1 },
      { group: null, n: 5 },
    ]);
  });
});

describe.concurrent(
  'refused the same way, word for word, by the script and the engine',
  { timeout: 60_000 },
  () => {
    const flats = housing();
    const notWhole =
      /^column "area" holds numbers that are not whole; group by a text, true\/false or whole-number column \("rooms", "district", "price", "year_built", "balcony"\)$/;

    test('a column the table does not have, or not numeric', async () => {
      await Promise.all([
        sandbox.bothRefuse(
          histogramAnalysis,
          { columns: ['price', 'cost'] },
          flats,
          /^no column "cost"; the table has columns "area", "rooms", "district", "price", "year_built", "balcony"$/,
        ),
        sandbox.bothRefuse(
          scatterAnalysis,
          { x: 'area', y: 'price', by: 'floor' },
          flats,
          /^no column "floor"/,
        ),
        sandbox.bothRefuse(
          scatterAnalysis,
          { x: 'district', y: 'price' },
          flats,
          /^column "district" is not numeric \(it holds text\); numeric columns: "area", "rooms", "price", "year_built"$/,
        ),
        sandbox.bothRefuse(
          boxplotAnalysis,
          { columns: ['price', 'balcony'] },
          flats,
          /^column "balcony" is not numeric \(it holds true\/false values\)/,
        ),
      ]);
    });

    test('grouping by a column of numbers that are not whole', async () => {
      await Promise.all([
        sandbox.bothRefuse(scatterAnalysis, { x: 'rooms', y: 'price', by: 'area' }, flats, notWhole),
        sandbox.bothRefuse(boxplotAnalysis, { by: 'area' }, flats, notWhole),
      ]);
    });

    test('nothing to draw, and bins that are neither a rule nor a count', async () => {
      const words: Table = {
        rowCount: 2,
        columns: [{ name: 'word', type: 'text', values: ['a', 'b'], missing: 0 }],
      };
      await Promise.all([
        sandbox.bothRefuse(histogramAnalysis, {}, words, /^the table has no numeric columns to draw$/),
        sandbox.bothRefuse(boxplotAnalysis, {}, words, /^the table has no numeric columns to draw$/),
        ...['often', '0', '1001', '2.5'].map((bins) =>
          sandbox.bothRefuse(
            histogramAnalysis,
            { bins },
            tiny,
            /^bins must be one of auto, fd, sturges or a whole number of bins from 1 to 1000, not "/,
          ),
        ),
      ]);
    });

    test('a rule that gives more than 1000 bins (a long tail)', async () => {
      // fd width 2 * 50 / 101^(1/3) = 21.47 over a range of 999,999: 46,571 bins.
      const tail: Table = {
        rowCount: 101,
        columns: [numbers('x', [...Array.from({ length: 100 }, (_, i) => i + 1), 1_000_000])],
      };
      await sandbox.bothRefuse(
        histogramAnalysis,
        { bins: 'fd' },
        tail,
        /^the fd rule gives 46571 bins for column "x" \(a long tail\); pass a bin count instead, like bins=50$/,
      );
    });
  },
);

describe('direct numbers against hand-computed values', () => {
  test('histogram bin rules: auto is the smaller of the fd and sturges widths, sturges when the IQR is 0', () => {
    const columns = ['v', 'w', 'tied', 'constant', 'with inf', 'empty'];
    const auto = histogramOf('auto', columns);
    // v: IQR 4 - 2.25 = 1.75, fd width 3.5 / 10^(1/3) = 1.6245 < sturges 9 / 4.3219 = 2.0824: 6 bins.
    expect(auto.get('v')?.edges).toEqual([1, 2.5, 4, 5.5, 7, 8.5, 10]);
    expect(auto.get('v')?.counts).toEqual([3, 3, 3, 0, 0, 1]);
    // w: fd width 9 / 10^(1/3) = 4.18 > sturges 2.08: ceil(9 / 2.08) = 5 bins of 1.8.
    const w = auto.get('w');
    expect(w?.counts).toEqual([2, 2, 2, 2, 2]);
    [1, 2.8, 4.6, 6.4, 8.2, 10].forEach((edge, i) => expect(w?.edges[i]).toBeCloseTo(edge, 12));
    // tied: IQR 0, so sturges: 4 / (log2(5) + 1) = 1.2041, ceil(3.32) = 4 bins.
    expect(auto.get('tied')?.edges).toEqual([5, 6, 7, 8, 9]);
    expect(auto.get('tied')?.counts).toEqual([4, 0, 0, 1]);
    // constant: widened by 0.5 each way, one bin.
    expect(auto.get('constant')).toMatchObject({ n: 3, missing: 7, edges: [1.5, 2.5], counts: [3] });
    // Infinities are counted apart and not binned: [1, 2] gives sturges width 0.5, 2 bins.
    expect(auto.get('with inf')).toMatchObject({ n: 2, missing: 6, infinite: 2, edges: [1, 1.5, 2] });
    // No values: numpy's one bin from 0 to 1.
    expect(auto.get('empty')).toMatchObject({ n: 0, missing: 10, edges: [0, 1], counts: [0] });

    const fd = histogramOf('fd', columns);
    expect(fd.get('v')?.counts).toEqual([3, 3, 3, 0, 0, 1]);
    expect(fd.get('w')).toMatchObject({ edges: [1, 4, 7, 10], counts: [3, 3, 4] });
    expect(fd.get('tied')).toMatchObject({ edges: [5, 9], counts: [5] });

    const sturges = histogramOf('sturges', columns);
    expect(sturges.get('v')?.counts).toEqual([3, 5, 1, 0, 1]);
    expect(sturges.get('tied')?.counts).toEqual([4, 0, 0, 1]);
  });

  test('histogram bins are [left, right) as numpy rounds the edges, the last one closed', () => {
    // 3 * 0.1 = 0.30000000000000004, so 0.3 falls in the third bin, [0.2, 0.3...).
    const tenths = histogramOf('10', ['tenths']).get('tenths');
    expect(tenths?.counts).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    expect(tenths?.edges[3]).toBe(3 * 0.1);
    expect(histogramOf('3', ['v']).get('v')).toMatchObject({ edges: [1, 4, 7, 10], counts: [6, 3, 1] });
  });

  test('box statistics: quartiles type 7, whiskers within 1.5 IQR, outliers beyond', () => {
    const table: Table = { rowCount: 10, columns: [numbers('x', [30, 1, 2, 3, 4, 5, 6, 7, 8, 9])] };
    const result = boxplotAnalysis.direct(table, { file: 'data.csv', columns: [], by: null });
    const [x] = result.columns as { boxes: Record<string, unknown>[] }[];
    expect(x?.boxes).toEqual([
      {
        group: null,
        n: 10,
        q1: 3.25,
        median: 5.5,
        q3: 7.75,
        iqr: 4.5,
        whisker_low: 1,
        whisker_high: 9,
        outliers: [30],
      },
    ]);
  });

  test('scatter: least squares, Pearson r and groups in pandas order', () => {
    const table: Table = {
      rowCount: 5,
      columns: [
        numbers('x', [1, 2, 3, 4, null]),
        numbers('y', [2, 4, 5, 8, 7]),
        { name: 'g', type: 'text', values: ['b', 'a', 'b', null, 'a'], missing: 1 },
      ],
    };
    const result = scatterAnalysis.direct(table, { file: 'data.csv', x: 'x', y: 'y', by: 'g', line: true });
    // Sxy 9.5, Sxx 5, Syy 18.75: slope 1.9, intercept 4.75 - 1.9 * 2.5 = 0.
    expect(result.n).toBe(4);
    const fit = result.fit as { slope: number; intercept: number };
    expect(fit.slope).toBeCloseTo(1.9, 14);
    expect(fit.intercept).toBeCloseTo(0, 14);
    expect(result.r).toBeCloseTo(9.5 / Math.sqrt(93.75), 14);
    expect(result.groups).toEqual([
      { group: 'a', n: 1 },
      { group: 'b', n: 2 },
      { group: null, n: 1 },
    ]);
    expect(result.charts).toEqual(['scatter_x_vs_y_by_g.png']);
    // Whole numbers sort as numbers (9 before 10), as pandas groupby sorts them.
    const bySize = scatterAnalysis.direct(tiny, {
      file: 'data.csv',
      x: 'v',
      y: 'y',
      by: 'size',
      line: false,
    });
    expect((bySize.groups as { group: string }[]).map((group) => group.group)).toEqual(['9', '10']);
    expect(bySize.fit).toBeNull();
  });

  test('chart names are safe and unique', () => {
    const table: Table = {
      rowCount: 2,
      columns: [numbers('a b', [1, 2]), numbers('a/b', [3, 4]), numbers('ü', [5, 6])],
    };
    const result = histogramAnalysis.direct(table, { file: 'data.csv', columns: [], bins: 'auto' });
    expect(result.charts).toEqual(['histogram_a_b.png', 'histogram_a_b_2.png', 'histogram_column.png']);
  });
});

describe('parameters from the columns a request names', () => {
  const table = housing();

  test('histogram, scatter and boxplot read the columns in order', () => {
    expect(histogramAnalysis.paramsFromColumns(['price'], table)).toEqual({ columns: ['price'] });
    expect(histogramAnalysis.paramsFromColumns([], table)).toEqual({});
    expect(scatterAnalysis.paramsFromColumns(['area', 'price', 'district'], table)).toEqual({
      x: 'area',
      y: 'price',
      by: 'district',
    });
    expect(scatterAnalysis.paramsFromColumns(['area', 'price'], table)).toEqual({ x: 'area', y: 'price' });
    // price is a number column of whole numbers: it may group the points.
    expect(scatterAnalysis.paramsFromColumns(['area', 'rooms', 'price'], table)).toEqual({
      x: 'area',
      y: 'rooms',
      by: 'price',
    });
    expect(boxplotAnalysis.paramsFromColumns(['price', 'district'], table)).toEqual({
      columns: ['price'],
      by: 'district',
    });
    expect(boxplotAnalysis.paramsFromColumns(['price', 'area'], table)).toEqual({
      columns: ['price', 'area'],
    });
    expect(boxplotAnalysis.paramsFromColumns(['price', 'balcony'], table)).toEqual({
      columns: ['price'],
      by: 'balcony',
    });
  });

  test('columns that do not fit are refused with what would', () => {
    const refused = (spec: AnalysisSpec, columns: string[]): string => {
      try {
        spec.paramsFromColumns(columns, table);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidOptionsError);
        return (err as Error).message;
      }
      return expect.fail(`${spec.name} accepted ${columns.join(' ')}`);
    };
    expect(refused(scatterAnalysis, ['district', 'price'])).toBe(
      'column "district" is not numeric (it holds text); numeric columns: "area", "rooms", "price", "year_built"',
    );
    expect(refused(scatterAnalysis, ['area'])).toMatch(/two numeric columns and an optional category/);
    expect(refused(scatterAnalysis, ['area', 'price', 'rooms', 'district'])).toMatch(/got 4 columns/);
    expect(refused(scatterAnalysis, ['rooms', 'price', 'area'])).toBe(
      'column "area" holds numbers that are not whole; group by a text, true/false or whole-number column ' +
        '("rooms", "district", "price", "year_built", "balcony")',
    );
    expect(refused(histogramAnalysis, ['district'])).toMatch(
      /^column "district" is not numeric \(it holds text\)/,
    );
    expect(refused(histogramAnalysis, ['cost'])).toMatch(
      /^no column "cost"; the table has columns "area", "rooms"/,
    );
    expect(refused(boxplotAnalysis, ['district'])).toMatch(
      /name a numeric column to plot before the category/,
    );
  });
});

test('present: readable tables of the numbers', () => {
  const blocks = histogramAnalysis.present(
    histogramAnalysis.direct(tiny, { file: 'data.csv', columns: ['v'], bins: 'auto' }),
  );
  expect(blocks[0]).toEqual({
    kind: 'table',
    title: 'v: n 10, missing 0, 6 bins',
    columns: ['bin', 'count'],
    rows: [
      ['[1, 2.5)', '3'],
      ['[2.5, 4)', '3'],
      ['[4, 5.5)', '3'],
      ['[5.5, 7)', '0'],
      ['[7, 8.5)', '0'],
      ['[8.5, 10]', '1'],
    ],
  });
  const box = boxplotAnalysis.present(
    boxplotAnalysis.direct(flowers(), { file: 'data.csv', columns: ['petal_length'], by: 'species' }),
  );
  expect(box[0]).toMatchObject({
    kind: 'table',
    columns: ['species', 'n', 'q1', 'median', 'q3', 'whisker low', 'whisker high', 'outliers'],
  });
  expect((box[0] as { rows: string[][] }).rows.map((row) => row.slice(0, 2))).toEqual([
    ['setosa', '50'],
    ['versicolor', '50'],
    ['virginica', '50'],
  ]);
  const scatter = scatterAnalysis.present(
    scatterAnalysis.direct(tiny, { file: 'data.csv', x: 'w', y: 'v', by: null, line: true }),
  );
  expect(scatter[0]).toMatchObject({ kind: 'table', title: 'v against w' });
  expect((scatter[0] as { rows: string[][] }).rows[0]).toEqual(['points (x and y present)', '10']);
});
