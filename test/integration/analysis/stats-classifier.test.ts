/**
 * stats/train_classifier run in the real sandbox (scikit-learn 1.2.1) against the direct engine
 * (src/workflows/analysis/direct/classifier*.ts) on the datasets of datasets.ts.
 *
 * - Deterministic parts are equal exactly for both models: classes, features, rows used and dropped,
 *   the held-out rows (the stratified splitmix64 split is one definition, written in Python and in
 *   TypeScript), the class counts, the stated definitions (all but `engine`).
 * - Logistic regression: both sides reach the optimum of the same strictly convex objective, so the
 *   predictions, the confusion matrix and the accuracy are equal exactly. Coefficients, probabilities and
 *   importance are compared to 1e-6, not 1e-9: scikit-learn's newton-cg stops at max |gradient| <= 1e-8
 *   (below that its line search works on objective differences lost to rounding), and as the penalty
 *   makes the Hessian at least the identity in the weights, the weights are then off by about the
 *   gradient's norm, up to ~1e-8 · √(parameters); measured: at most 4e-9. (lbfgs would stop on scipy's
 *   ftol, 2.2e-9 relative change of the objective, leaving the weights ~1e-5 off.)
 * - Random forest: cannot match tree for tree (classifier-forest.ts states exactly why), so accuracy on
 *   the same split must agree within 0.1 — two forests that differ only in their random draws
 *   (scikit-learn, random_state 0..39, same split) spread with a standard deviation of 0.03-0.04 on
 *   these 16-41-row test sets — and each feature's importance within 0.1, with the same leading
 *   features on the clearly separable flowers.
 * The generator and the split are also pinned to values the template's Python printed once (splitmix64
 * for seed 1234567 is the published test vector), so a change on either side is caught.
 */
import { describe, expect, test } from 'vitest';
import { InvalidOptionsError } from '../../../src/errors.js';
import { trainClassifierAnalysis } from '../../../src/workflows/analysis/analyses/train-classifier.js';
import {
  SplitMix64,
  stratifiedSplit,
  testCount,
} from '../../../src/workflows/analysis/direct/classifier-split.js';
import type { Block } from '../../../src/workflows/analysis/spec.js';
import type { Table } from '../../../src/workflows/analysis/table.js';
import { DATASETS, flowers, housing, survey } from './datasets.js';
import { analysisSandbox, expectClose } from './harness.js';

const sandbox = analysisSandbox(['pandas', 'sklearn.ensemble', 'sklearn.linear_model', 'sklearn.metrics']);
const { registry } = sandbox;

interface Case {
  dataset: keyof typeof DATASETS;
  target: string;
  test_size: number;
  seed: number;
  columns?: string[];
}

/** The result's fields these tests read (a type, so it passes where a JSON record is expected). */
type Result = {
  features: string[];
  classes: string[];
  n_test: number;
  rows_dropped: number;
  class_counts: { train: number[]; test: number[] };
  test_rows: number[];
  predictions: string[];
  probabilities: number[][];
  metrics: { accuracy: number; f1_macro: number };
  confusion_matrix: number[][];
  importance: Record<string, number>;
  coefficients: Record<string, { intercept: number; weights: Record<string, number> }> | null;
  definitions: Record<string, string>;
};

const EXACT_KEYS = [
  'template',
  'file',
  'target',
  'features',
  'model',
  'classes',
  'rows_used',
  'rows_dropped',
  'n_train',
  'n_test',
  'test_size',
  'seed',
  'class_counts',
  'test_rows',
];

/** Rows with a missing target or feature, counted here from the table. */
function incompleteRows(table: Table, names: string[]): number {
  const columns = table.columns.filter((column) => names.includes(column.name));
  let count = 0;
  for (let row = 0; row < table.rowCount; row += 1) {
    if (columns.some((column) => column.values[row] === null)) count += 1;
  }
  return count;
}

/** Runs the script and the direct engine; checks everything both must have exactly alike. */
async function scriptAndDirect(model: string, c: Case): Promise<{ script: Result; direct: Result }> {
  const table = DATASETS[c.dataset]?.() as Table;
  const params = { target: c.target, model, test_size: c.test_size, seed: c.seed, columns: c.columns ?? [] };
  const run = await sandbox.run('stats/train_classifier', params, table);
  const directRecord = trainClassifierAnalysis.direct(table, run.params);
  expect(Object.keys(run.result).sort()).toEqual(Object.keys(directRecord).sort());
  for (const key of EXACT_KEYS) expect(run.result[key], key).toEqual(directRecord[key]);
  const script = run.result as unknown as Result;
  const direct = directRecord as unknown as Result;
  const { engine: scriptEngine, ...scriptDefinitions } = script.definitions;
  const { engine: directEngine, ...directDefinitions } = direct.definitions;
  expect(scriptDefinitions).toEqual(directDefinitions);
  expect(scriptEngine).toMatch(/^scikit-learn /);
  expect(directEngine).toMatch(/^direct engine: /);

  // Independent of either engine: the rows dropped, and each class's held-out count.
  expect(direct.rows_dropped).toBe(incompleteRows(table, [c.target, ...direct.features]));
  direct.classes.forEach((_, k) => {
    const size = (direct.class_counts.train[k] ?? 0) + (direct.class_counts.test[k] ?? 0);
    expect(direct.class_counts.test[k]).toBe(testCount(c.test_size, size));
  });
  expect(direct.test_rows).toHaveLength(direct.n_test);
  expect(script.predictions).toHaveLength(direct.n_test);
  return { script, direct };
}

const LOGISTIC_CASES: Case[] = [
  { dataset: 'flowers', target: 'species', test_size: 0.25, seed: 42 },
  {
    dataset: 'flowers',
    target: 'species',
    test_size: 0.3,
    seed: 7,
    columns: ['petal_length', 'sepal_width'],
  },
  { dataset: 'housing', target: 'district', test_size: 0.25, seed: 42 },
  // A boolean column with missing cells: pandas reads it as object; its labels are False and True.
  { dataset: 'housing', target: 'balcony', test_size: 0.25, seed: 1 },
  // A numeric target with few values is a class label as written: "1".."5".
  { dataset: 'housing', target: 'rooms', test_size: 0.2, seed: 5, columns: ['area', 'price'] },
  { dataset: 'survey', target: 'region', test_size: 0.5, seed: 3 },
];

const FOREST_CASES: Case[] = [
  { dataset: 'flowers', target: 'species', test_size: 0.25, seed: 42 },
  { dataset: 'flowers', target: 'species', test_size: 0.3, seed: 7 },
  { dataset: 'housing', target: 'district', test_size: 0.4, seed: 3 },
  { dataset: 'housing', target: 'balcony', test_size: 0.3, seed: 8 },
  { dataset: 'survey', target: 'region', test_size: 0.25, seed: 42 },
];

const label = (c: Case): string => `${c.dataset}: ${c.target}, test_size ${c.test_size}, seed ${c.seed}`;

describe.concurrent('logistic_regression: the script and the direct engine reach the same optimum', () => {
  test.each(LOGISTIC_CASES.map((c) => [label(c), c] as const))('%s', { timeout: 120_000 }, async (_, c) => {
    const { script, direct } = await scriptAndDirect('logistic_regression', c);
    expect(script.predictions).toEqual(direct.predictions);
    expect(script.confusion_matrix).toEqual(direct.confusion_matrix);
    expect(script.metrics.accuracy).toBe(direct.metrics.accuracy);
    expectClose(script.metrics, direct.metrics, 1e-9);
    expectClose(script.coefficients, direct.coefficients, 1e-6);
    expectClose(script.probabilities, direct.probabilities, 1e-6);
    expectClose(script.importance, direct.importance, 1e-6);
    // The chat shows either result: both read the same (numbers rounded to 4 significant digits).
    expect(trainClassifierAnalysis.present(script)).toEqual(trainClassifierAnalysis.present(direct));
    // Two classes: one coefficient vector, for the second class (sklearn's binary parametrisation).
    const rows = direct.classes.length === 2 ? direct.classes.slice(1) : direct.classes;
    expect(Object.keys(direct.coefficients ?? {})).toEqual(rows);
  });
});

describe.concurrent('random_forest: same split, accuracy within 0.1', () => {
  test.each(FOREST_CASES.map((c) => [label(c), c] as const))('%s', { timeout: 120_000 }, async (_, c) => {
    const { script, direct } = await scriptAndDirect('random_forest', c);
    expect(Math.abs(script.metrics.accuracy - direct.metrics.accuracy)).toBeLessThanOrEqual(0.1);
    for (const name of direct.features) {
      expect(
        Math.abs((script.importance[name] ?? 0) - (direct.importance[name] ?? 0)),
        name,
      ).toBeLessThanOrEqual(0.1);
    }
    const importanceSum = Object.values(direct.importance).reduce((a, b) => a + b, 0);
    expect(importanceSum).toBeCloseTo(1, 12);
    expect(direct.coefficients).toBeNull();
    expect(script.coefficients).toBeNull();
    for (const row of direct.probabilities) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(direct.confusion_matrix.flat().reduce((a, b) => a + b, 0)).toBe(direct.n_test);
    if (c.dataset === 'flowers') {
      // Clearly separable: both forests are nearly perfect and lean on the petals, least on sepal width.
      expect(direct.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
      for (const result of [script, direct]) {
        const ranked = Object.entries(result.importance)
          .sort(([, a], [, b]) => b - a)
          .map(([name]) => name);
        expect(ranked.slice(0, 2).sort()).toEqual(['petal_length', 'petal_width']);
        expect(ranked[3]).toBe('sepal_width');
      }
    }
  });
});

describe.concurrent('refused the same way, word for word, by the script and the engine', () => {
  test('a numeric target with many values: use regression', { timeout: 120_000 }, async () => {
    await sandbox.bothRefuse(
      trainClassifierAnalysis,
      { target: 'year_built' },
      housing(),
      /^"year_built" has \d+ distinct numbers.*use the regression analysis with "year_built" as its target, or/,
    );
  });

  test('features that are not numeric, or include the target', { timeout: 120_000 }, async () => {
    await Promise.all([
      sandbox.bothRefuse(
        trainClassifierAnalysis,
        { target: 'species', columns: ['petal_length', 'species'] },
        flowers(),
        /^the target "species" cannot also be a feature; remove it from features$/,
      ),
      sandbox.bothRefuse(
        trainClassifierAnalysis,
        { target: 'balcony', columns: ['area', 'district'] },
        housing(),
        /^column "district" is not numeric \(it holds text\); numeric columns: "area", "rooms", "price", "year_built"$/,
      ),
    ]);
  });
});

describe('the split generator, pinned to the Python implementation', () => {
  test('splitmix64 outputs and below()', () => {
    const reference = new SplitMix64(1_234_567);
    expect(Array.from({ length: 5 }, () => reference.next())).toEqual([
      6457827717110365317n,
      3203168211198807973n,
      9817491932198370423n,
      4593380528125082431n,
      16408922859458223821n,
    ]);
    const largest = new SplitMix64(4_294_967_295);
    expect(Array.from({ length: 3 }, () => largest.next())).toEqual([
      8336509955162079680n,
      6998667510010663860n,
      17170758627551043187n,
    ]);
    expect(Array.from({ length: 10 }, () => largest.below(10))).toEqual([2, 2, 6, 5, 2, 6, 5, 1, 4, 2]);
  });

  test('stratified split: held-out rows per class, a single-row class only trained on', () => {
    const rows = Array.from({ length: 20 }, (_, row) => row).filter((row) => row !== 5 && row !== 13);
    const first = stratifiedSplit(
      rows,
      rows.map((row) => row % 3),
      3,
      0.3,
      2024,
    );
    expect(first.test).toEqual([0, 7, 10, 11, 17, 18]);
    expect(first.train).toEqual(rows.filter((row) => !first.test.includes(row)));
    const codes = [0, 1, 1, 0, 2, 1, 1, 0, 1, 1, 0, 1];
    const twelve = Array.from({ length: 12 }, (_, row) => row);
    expect(stratifiedSplit(twelve, codes, 3, 0.5, 0).test).toEqual([3, 5, 6, 7, 9, 11]);
    // test_size 0.05 still holds out one row of each class with two or more rows, never row 4 (alone).
    expect(stratifiedSplit(twelve, codes, 3, 0.05, 4_294_967_295).test).toEqual([7, 9]);
    expect([testCount(0.95, 2), testCount(0.05, 2), testCount(0.5, 1), testCount(0.25, 10)]).toEqual([
      1, 1, 0, 3,
    ]);
  });
});

describe('paramsFromColumns', () => {
  const spec = trainClassifierAnalysis;

  test('the first column is the target, the rest features; alone, every numeric column is a feature', () => {
    expect(spec.paramsFromColumns(['species'], flowers())).toEqual({ target: 'species' });
    expect(spec.paramsFromColumns(['species', 'petal_length', 'petal_width'], flowers())).toEqual({
      target: 'species',
      columns: ['petal_length', 'petal_width'],
    });
    expect(spec.paramsFromColumns(['balcony', 'area'], housing())).toEqual({
      target: 'balcony',
      columns: ['area'],
    });
    expect(spec.paramsFromColumns(['rooms'], housing())).toEqual({ target: 'rooms' });
  });

  test('errors say what to change', () => {
    const cases: [string[], Table, RegExp][] = [
      [[], flowers(), /^name the column to predict first, then the features$/],
      [
        ['price'],
        housing(),
        /"price" has \d+ distinct numbers.*use the regression analysis with "price" as its target/,
      ],
      [['species', 'colour'], flowers(), /no column "colour"; the table has columns "sepal_length"/],
      [['region', 'district'], survey(), /no column "district"/],
      [['price', 'district'], housing(), /column "district" is not numeric \(it holds text\)/],
      [
        ['species', 'petal_length', 'species'],
        flowers(),
        /^the target "species" cannot also be a feature; remove it from features$/,
      ],
    ];
    for (const [columns, table, message] of cases) {
      let thrown: unknown;
      try {
        spec.paramsFromColumns(columns, table);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, columns.join(' ')).toBeInstanceOf(InvalidOptionsError);
      expect((thrown as Error).message).toMatch(message);
    }
  });
});

describe('direct engine on its own', () => {
  const params = (target: string, model: string): Record<string, unknown> =>
    registry.resolveParams('stats/train_classifier', { file: 'data.csv', target, model });

  test('a target with one class in the complete rows is an error naming it', () => {
    const table: Table = {
      rowCount: 4,
      columns: [
        { name: 'x', type: 'number', values: [1, 2, null, 4], missing: 1 },
        { name: 'kind', type: 'text', values: ['a', 'a', 'b', 'a'], missing: 0 },
      ],
    };
    expect(() => trainClassifierAnalysis.direct(table, params('kind', 'logistic_regression'))).toThrow(
      /the target "kind" has 1 distinct value\(s\) in the complete rows/,
    );
  });

  test('present: summary, confusion matrix, importance (largest first), coefficients for logistic', () => {
    const text = (blocks: Block[]): string =>
      blocks.map((block) => (block.kind === 'text' ? block.text : JSON.stringify(block))).join('\n');
    const logistic = trainClassifierAnalysis.direct(flowers(), params('species', 'logistic_regression'));
    const blocks = trainClassifierAnalysis.present(logistic);
    expect(blocks[0]).toEqual({
      kind: 'text',
      text: expect.stringMatching(
        /^Logistic regression predicting species from sepal_length, sepal_width, petal_length, petal_width: accuracy [\d.]+ on 39 held-out rows \(trained on 111\)/,
      ) as string,
    });
    const tables = blocks.filter((block) => block.kind === 'table');
    expect(tables.map((table) => table.title)).toEqual([
      'Confusion matrix (rows: actual class, columns: predicted)',
      'Feature importance',
      'Coefficients (on standardised features)',
    ]);
    expect(tables[0]?.columns).toEqual(['actual', 'setosa', 'versicolor', 'virginica']);
    expect(tables[0]?.rows.map((row) => row[0])).toEqual(['setosa', 'versicolor', 'virginica']);
    const importance = tables[1]?.rows.map((row) => Number(row[1])) ?? [];
    expect(importance).toEqual([...importance].sort((a, b) => b - a));
    expect(tables[2]?.rows).toHaveLength(3);
    const forest = trainClassifierAnalysis.present(
      trainClassifierAnalysis.direct(housing(), params('balcony', 'random_forest')),
    );
    expect(forest.filter((block) => block.kind === 'table')).toHaveLength(2);
    expect(text(forest)).toMatch(
      /^Random forest predicting balcony from area, rooms, price, year_built: .* \d+ rows with a missing value were left out\./,
    );
    expect(text(forest)).toMatch(/Held out 0\.25 of each class's rows \(stratified, seed 42\)\.$/);
  });
});
