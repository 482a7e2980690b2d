/**
 * The built-in `stats` pack on real data in the real sandbox: an iris-like CSV made here (seeded), each
 * template rendered, run with pandas/scikit-learn, and its one JSON object checked against values
 * computed in TypeScript with the definitions the templates state.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createTemplateRegistry, type TemplateRegistry } from '../../src/generate/registry.js';
import { random } from './analysis/datasets.js';

const SPECIES = ['setosa', 'versicolor', 'virginica'] as const;
const ROWS = 90;

interface Row {
  sepal_length: number;
  petal_length: number;
  x: number;
  y: number;
  z: number;
  gappy: number | null;
  species: string;
}

function makeRows(): Row[] {
  const next = random(20_240_601);
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return Array.from({ length: ROWS }, (_, index) => {
    const kind = index % 3;
    const x = round(next() * 10);
    return {
      sepal_length: round(4.5 + kind * 1.2 + next()),
      // Three well-separated clusters: any sensible classifier gets them right.
      petal_length: round(1 + kind * 2.5 + next() * 0.8),
      x,
      y: round(2 * x + 1),
      z: round(5 - 3 * x),
      gappy: index === 7 ? null : round(next() * 100),
      species: SPECIES[kind] ?? 'setosa',
    };
  });
}

const rows = makeRows();
const csv =
  'sepal_length,petal_length,x,y,z,gappy,species\n' +
  rows
    .map((r) => [r.sepal_length, r.petal_length, r.x, r.y, r.z, r.gappy ?? '', r.species].join(','))
    .join('\n') +
  '\n';

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const sampleStd = (values: number[]): number => {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
};
/** Linear interpolation between order statistics (numpy "linear", type 7). */
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const lowValue = sorted[low] ?? NaN;
  return lowValue + ((sorted[Math.min(low + 1, sorted.length - 1)] ?? NaN) - lowValue) * (at - low);
};
const pearson = (a: number[], b: number[]): number => {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((value, i) => {
    const db = (b[i] ?? NaN) - mb;
    ab += (value - ma) * db;
    aa += (value - ma) ** 2;
    bb += db ** 2;
  });
  return ab / Math.sqrt(aa * bb);
};

let engine: Engine;
let registry: TemplateRegistry;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  registry = createTemplateRegistry({ templateDirs: [] });
});
afterAll(async () => {
  await engine?.close();
});

async function runTemplate(id: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { source, language } = registry.render(id, params);
  const limits = { memoryMb: 512, timeoutMs: 30_000, cpuMs: 30_000, ...registry.get(id).limits };
  const result = await engine.run({ language, source, files: [{ name: 'data.csv', content: csv }], limits });
  expect(result.error, result.stderr).toBeNull();
  const lines = result.stdout.trim().split('\n');
  expect(lines).toHaveLength(1); // one JSON object, nothing else
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

describe('stats/descriptive', () => {
  test('matches mean, sample std, min, max and linear quantiles computed here', async () => {
    const out = await runTemplate('stats/descriptive', { quantiles: [0.1, 0.5, 0.9] });
    const columns = out['columns'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(columns)).toEqual(['sepal_length', 'petal_length', 'x', 'y', 'z', 'gappy']);
    for (const name of ['sepal_length', 'petal_length', 'x'] as const) {
      const values = rows.map((r) => r[name]);
      const got = columns[name] ?? {};
      expect(got['count']).toBe(ROWS);
      expect(got['missing']).toBe(0);
      expect(got['mean']).toBeCloseTo(mean(values), 10);
      expect(got['std']).toBeCloseTo(sampleStd(values), 10);
      expect(got['min']).toBe(Math.min(...values));
      expect(got['max']).toBe(Math.max(...values));
      const quantiles = got['quantiles'] as Record<string, number>;
      expect(Object.keys(quantiles)).toEqual(['10%', '50%', '90%']);
      const keys = { '10%': 0.1, '50%': 0.5, '90%': 0.9 };
      for (const [key, q] of Object.entries(keys)) {
        expect(quantiles[key]).toBeCloseTo(quantile(values, q), 10);
      }
    }
    const gappy = rows.flatMap((r) => (r.gappy === null ? [] : [r.gappy]));
    expect(columns['gappy']).toMatchObject({ count: ROWS - 1, missing: 1 });
    expect(columns['gappy']?.['mean']).toBeCloseTo(mean(gappy), 10);
    expect(out['rows']).toBe(ROWS);
    // The text column: 30 rows of each species, so the first one in the file is the most frequent.
    expect(out['categorical']).toEqual({
      species: { type: 'text', count: ROWS, missing: 0, distinct: 3, top: 'setosa', top_count: 30 },
    });
  });

  test('describes only the columns asked for', async () => {
    const out = await runTemplate('stats/descriptive', { columns: ['y', 'species'] });
    expect(Object.keys(out['columns'] as object)).toEqual(['y']);
    expect(Object.keys(out['categorical'] as object)).toEqual(['species']);
  });
});

describe('stats/correlation', () => {
  test.each(['pearson', 'spearman', 'kendall'])('%s: x with 2x+1 is 1, with 5-3x is -1', async (method) => {
    const out = await runTemplate('stats/correlation', { columns: ['x', 'y', 'z', 'sepal_length'], method });
    const matrix = out['matrix'] as Record<string, Record<string, number>>;
    expect(out['method']).toBe(method);
    expect(matrix['x']?.['y']).toBeCloseTo(1, 12);
    expect(matrix['x']?.['z']).toBeCloseTo(-1, 12);
    expect(matrix['sepal_length']?.['x']).toBe(matrix['x']?.['sepal_length']);
    const pairs = out['pairs'] as { x: string; y: string; r: number; n: number }[];
    expect(pairs).toHaveLength(6);
    expect(Math.abs(pairs[0]?.r ?? 0)).toBeCloseTo(1, 12);
    expect(Math.abs(pairs[5]?.r ?? 1)).toBeLessThan(0.5);
    if (method === 'pearson') {
      const r = pearson(
        rows.map((row) => row.sepal_length),
        rows.map((row) => row.x),
      );
      expect(matrix['sepal_length']?.['x']).toBeCloseTo(r, 10);
    }
  });

  test('a missing column fails with one JSON error object naming it', async () => {
    const { source } = registry.render('stats/correlation', { columns: ['x', 'nope'] });
    const result = await engine.run({
      language: 'python',
      source,
      files: [{ name: 'data.csv', content: csv }],
      limits: { memoryMb: 512, timeoutMs: 30_000 },
    });
    expect(result.ok).toBe(false);
    expect(JSON.parse(result.stdout)).toEqual({
      error: expect.stringMatching(/^no column "nope"; the table has columns "sepal_length", /) as string,
    });
  });
});

describe('stats/train_classifier', () => {
  test('both models separate the species on one seeded split', { timeout: 120_000 }, async () => {
    const params = { target: 'species', columns: ['sepal_length', 'petal_length'], test_size: 0.3, seed: 7 };
    const models = ['logistic_regression', 'random_forest'] as const;
    const [logistic, forest] = await Promise.all(
      models.map((model) => runTemplate('stats/train_classifier', { ...params, model })),
    );
    for (const [model, out] of [
      ['logistic_regression', logistic],
      ['random_forest', forest],
    ] as const) {
      expect(out).toMatchObject({
        model,
        target: 'species',
        classes: [...SPECIES],
        features: ['sepal_length', 'petal_length'],
        rows_used: ROWS,
        rows_dropped: 0,
        n_train: 63,
        n_test: 27,
        class_counts: { train: [21, 21, 21], test: [9, 9, 9] },
      });
      const metrics = out?.['metrics'] as { accuracy: number; f1_macro: number };
      expect(metrics.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(metrics.f1_macro).toBeGreaterThanOrEqual(0.9);
      const matrix = out?.['confusion_matrix'] as number[][];
      expect(matrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([9, 9, 9]);
      expect(out?.['predictions']).toHaveLength(27);
      expect(Object.keys(out?.['importance'] as object)).toEqual(['sepal_length', 'petal_length']);
    }
    expect(Object.keys(logistic?.['coefficients'] as object)).toEqual([...SPECIES]);
    expect(forest?.['coefficients']).toBeNull();
    // The split depends on the seed alone, and is the direct engine's (one splitmix64 definition).
    const testRows = logistic?.['test_rows'] as number[];
    expect(forest?.['test_rows']).toEqual(testRows);
    const { stratifiedSplit } = await import('../../src/workflows/analysis/direct/classifier-split.js');
    const all = rows.map((_, index) => index);
    const split = stratifiedSplit(
      all,
      all.map((index) => index % 3),
      3,
      0.3,
      7,
    );
    expect(testRows).toEqual(split.test);
  });
});
