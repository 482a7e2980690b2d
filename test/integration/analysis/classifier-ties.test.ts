/**
 * Equally likely classes get the same prediction from the stats/train_classifier script and the direct
 * engine: the first of the tied classes in class order (direct/classifier-ties.ts states the rule; the
 * template applies the same one). The tables have one constant feature, so it tells the classes nothing
 * and only the class counts of the training rows set the probabilities.
 *
 * Before the rule, a plain argmax let rounding pick: on `balanced(24, 3)` scikit-learn predicted "a" and
 * the direct engine "c"; on `balanced(20, 3)` (a and b tied ahead of c) both said "b".
 */
import { describe, expect, test } from 'vitest';
import { trainClassifierAnalysis } from '../../../src/workflows/analysis/analyses/train-classifier.js';
import { mostLikelyClass, TIE_TOLERANCE } from '../../../src/workflows/analysis/direct/classifier-ties.js';
import type { Table } from '../../../src/workflows/analysis/table.js';
import { analysisSandbox } from './harness.js';

const sandbox = analysisSandbox(['pandas', 'sklearn.ensemble', 'sklearn.linear_model', 'sklearn.metrics']);

const CLASS_NAMES = ['a', 'b', 'c', 'd'];

/** `rows` rows labelled a, b, c, ... in turn (`classes` of them), and a feature `x` that is always 3. */
function balanced(rows: number, classes: number): Table {
  return {
    rowCount: rows,
    columns: [
      { name: 'x', type: 'number', values: Array.from({ length: rows }, () => 3), missing: 0 },
      {
        name: 'label',
        type: 'text',
        values: Array.from({ length: rows }, (_, row) => CLASS_NAMES[row % classes] ?? ''),
        missing: 0,
      },
    ],
  };
}

interface Predicted {
  classes: string[];
  predictions: string[];
  probabilities: number[][];
  definitions: Record<string, string>;
}

async function bothEngines(
  table: Table,
  params: Record<string, unknown>,
): Promise<{ script: Predicted; direct: Predicted }> {
  const run = await sandbox.run('stats/train_classifier', { target: 'label', ...params }, table);
  const direct = trainClassifierAnalysis.direct(table, run.params) as unknown as Predicted;
  return { script: run.result as unknown as Predicted, direct };
}

/** The classes tied for the highest probability of a row, by the stated tolerance. */
function tiedClasses(result: Predicted, row: number): string[] {
  const p = result.probabilities[row] ?? [];
  const highest = Math.max(...p);
  return result.classes.filter((_, k) => (p[k] ?? 0) >= highest - TIE_TOLERANCE);
}

describe('the tie rule itself', () => {
  test('a tie within the tolerance goes to the first class, whichever way the rounding leans', () => {
    // Softmax of three equal scores can come out like this: a plain argmax (indexOf(max)) says 1.
    expect(mostLikelyClass([0.3333333333333333, 0.33333333333333337, 0.3333333333333333])).toBe(0);
    expect(mostLikelyClass([0.2, 0.4 - 1e-12, 0.4])).toBe(1);
    expect(mostLikelyClass([0.5, 0.5])).toBe(0);
  });

  test('a real difference is no tie', () => {
    expect(mostLikelyClass([0.49, 0.51])).toBe(1);
    expect(mostLikelyClass([0.3, 0.3, 0.4 - 2 * TIE_TOLERANCE, 0.4])).toBe(3);
  });
});

describe.concurrent('equally likely classes: the script and the direct engine predict alike', () => {
  test('logistic regression, three balanced classes', { timeout: 120_000 }, async () => {
    const { script, direct } = await bothEngines(balanced(24, 3), {
      model: 'logistic_regression',
      test_size: 0.25,
    });
    expect(tiedClasses(script, 0)).toEqual(['a', 'b', 'c']);
    expect(tiedClasses(direct, 0)).toEqual(['a', 'b', 'c']);
    expect(script.predictions).toEqual(direct.predictions);
    expect(new Set(direct.predictions)).toEqual(new Set(['a']));
    expect(script.definitions['prediction']).toBe(direct.definitions['prediction']);
  });

  test('logistic regression, two of three classes tied ahead', { timeout: 120_000 }, async () => {
    // 7 a, 7 b, 6 c: a and b are equally likely and more likely than c.
    const { script, direct } = await bothEngines(balanced(20, 3), {
      model: 'logistic_regression',
      test_size: 0.25,
    });
    expect(tiedClasses(script, 0)).toEqual(['a', 'b']);
    expect(script.predictions).toEqual(direct.predictions);
    expect(new Set(script.predictions)).toEqual(new Set(['a']));
  });

  test('logistic regression, two balanced classes', { timeout: 120_000 }, async () => {
    const { script, direct } = await bothEngines(balanced(12, 2), {
      model: 'logistic_regression',
      test_size: 0.25,
    });
    expect(script.predictions).toEqual(direct.predictions);
    expect(new Set(script.predictions)).toEqual(new Set(['a']));
  });

  test('random forest, a tie on both sides', { timeout: 120_000 }, async () => {
    // The forests differ in their random draws (classifier-forest.ts), so their probabilities are only
    // tied where the draws happen to balance: one a row and one b row to train on, and a seed (255) for
    // which both forests' 100 bootstrap samples hold as many a draws as b draws.
    const { script, direct } = await bothEngines(balanced(4, 2), {
      model: 'random_forest',
      test_size: 0.5,
      seed: 255,
    });
    for (const result of [script, direct]) {
      expect(result.probabilities, 'the fixture no longer ties: choose another seed').toEqual([
        [0.5, 0.5],
        [0.5, 0.5],
      ]);
    }
    expect(script.predictions).toEqual(direct.predictions);
    expect(direct.predictions).toEqual(['a', 'a']);
  });

  test(
    'random forest: each side predicts by the rule from its own probabilities',
    {
      timeout: 120_000,
    },
    async () => {
      const { script, direct } = await bothEngines(balanced(30, 3), { model: 'random_forest', seed: 3 });
      for (const result of [script, direct]) {
        result.predictions.forEach((predicted, row) => {
          expect(predicted, `row ${row}`).toBe(tiedClasses(result, row)[0]);
        });
      }
    },
  );
});
