/**
 * train_classifier computed directly: the same JSON object as the stats/train_classifier script. Rows with
 * a missing target or a missing or infinite feature are dropped; classes are the target's values as the
 * canonical CSV writes them, sorted by code point; the held-out split is classifier-split.ts's; then a
 * logistic regression (classifier-logistic.ts, the same optimum as scikit-learn's) or a random forest
 * (classifier-forest.ts, scikit-learn's settings with its own randomness) is trained and scored on the
 * held-out rows; each prediction is the most probable class, ties to the first class (classifier-ties.ts,
 * the script's rule too). `definitions` states all of it; only `definitions.engine` differs from the
 * script's.
 * Error messages are the script's, word for word.
 */
import { z } from 'zod';
import { parseOptions } from '../../../parse-options.js';
import { isNumericColumn, type Column, type NumericColumn, type Table } from '../table.js';
import { isFiniteCell } from './basic.js';
import { fitForest, forestProbabilities } from './classifier-forest.js';
import { fitLogistic, fitStandardizer, logisticProbabilities, standardize } from './classifier-logistic.js';
import { stratifiedSplit } from './classifier-split.js';
import { mostLikelyClass, TIE_RULE } from './classifier-ties.js';
import {
  chooseFeatures,
  comparePython,
  fail,
  quoted,
  requireColumn,
  requireColumns,
  requireNumeric,
} from './columns.js';

const CLASSIFIER_MODELS = ['logistic_regression', 'random_forest'] as const;
type ClassifierModel = (typeof CLASSIFIER_MODELS)[number];

/** More distinct values than this in a numeric target means it is a quantity: use regression. */
export const MAX_NUMERIC_CLASSES = 20;

const ParamsSchema = z.object({
  file: z.string(),
  target: z.string(),
  columns: z.array(z.string()),
  model: z.enum(CLASSIFIER_MODELS),
  test_size: z.number().gt(0).lt(1),
  seed: z.number().int().min(0),
});

/** A target cell as the canonical CSV writes it (what pandas reads with dtype=str), or null when missing. */
export function classLabel(column: Column, row: number): string | null {
  const value = column.values[row];
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number')
    return value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
  return value;
}

/** Throws unless `classCount` classes can be learned: at least two, at most 20 for a numeric target. */
export function checkClassCount(column: Column, classCount: number): void {
  if (isNumericColumn(column) && classCount > MAX_NUMERIC_CLASSES) {
    fail(
      `${quoted([column.name])} has ${classCount} distinct numbers: a classifier predicts one of at most ` +
        `${MAX_NUMERIC_CLASSES} classes. To predict a number use the regression analysis with ` +
        `${quoted([column.name])} as its target, or choose a column of categories to predict.`,
    );
  }
  if (classCount < 2) {
    fail(
      `the target ${quoted([column.name])} has ${classCount} distinct value(s) in the complete rows; a ` +
        'classifier needs at least two classes',
    );
  }
}

/**
 * The feature columns: those named (numeric, not the target), or every numeric column but the target.
 * Checks in the script's order: every column exists, the target is not a feature, features are numeric.
 */
export function featureColumns(table: Table, target: string, names: readonly string[]): NumericColumn[] {
  requireColumns(table, [target, ...names]);
  return chooseFeatures(table, target, names).map((name) => requireNumeric(table, name));
}

/** The definitions both engines state (the script prints the same words); `engine` is each one's own. */
export function classifierDefinitions(model: ClassifierModel): Record<string, string> {
  const logistic = model === 'logistic_regression';
  return {
    rows:
      'rows with a missing target or a missing or infinite feature are dropped; test_rows are 0-based ' +
      'data rows of the file (the header is not counted)',
    classes: "the target's distinct values as written in the file, sorted as strings (by code point)",
    split:
      'stratified: one splitmix64 generator seeded with seed; for each class in order, its rows ' +
      '(ascending) are shuffled by Fisher-Yates (i from m - 1 down to 1, swap with next() mod (i + 1)) and ' +
      'the first floor(test_size * m + 0.5) are held out, at least 1 and at most m - 1 (a class with one ' +
      'row is only trained on)',
    scaling: logistic
      ? 'features standardised with the training rows: (x - mean) / population standard deviation ' +
        '(1 for a constant feature)'
      : 'none (trees split on the raw values)',
    model: logistic
      ? 'minimises 0.5 * (sum of squared weights) + C * (sum of log-losses), C = 1, intercepts not ' +
        'penalised; multinomial (softmax) for more than two classes, one coefficient vector (for the ' +
        'second class) for two'
      : '100 trees grown until pure, gini impurity, a bootstrap sample of the training rows per tree, ' +
        'floor(sqrt(features)) candidate features per split; class probabilities averaged over the trees',
    importance: logistic
      ? 'mean absolute coefficient over the coefficient rows, on the standardised features'
      : 'mean decrease in gini impurity, averaged over the trees, summing to 1',
    prediction: TIE_RULE,
    metrics:
      'accuracy: share of test rows predicted right; f1_macro: mean of 2TP / (2TP + FP + FN) over the ' +
      "classes among the test rows' actual or predicted classes; confusion_matrix: rows actual, columns " +
      'predicted, in class order',
    engine: logistic
      ? "direct engine: Newton's method with the exact Hessian, to machine precision (intercepts summing " +
        'to zero, as scikit-learn leaves them)'
      : 'direct engine: its own trees, drawing from splitmix64 seeded with seed + 2^63; they are not ' +
        "scikit-learn's trees, so single predictions can differ",
  };
}

interface Trained {
  predictions: number[];
  probabilities: number[][];
  importance: number[];
  coefficients: Record<string, unknown> | null;
}

function trainModel(
  model: ClassifierModel,
  train: { rows: number[][]; labels: number[] },
  test: number[][],
  features: readonly string[],
  classes: readonly string[],
  seed: number,
): Trained {
  if (model === 'random_forest') {
    const forest = fitForest(train.rows, train.labels, features.length, classes.length, seed);
    const probabilities = test.map((row) => forestProbabilities(forest, row));
    return {
      probabilities,
      predictions: probabilities.map(mostLikelyClass),
      importance: forest.importance,
      coefficients: null,
    };
  }
  const standardizer = fitStandardizer(train.rows, features.length);
  const fitted = fitLogistic(
    standardize(standardizer, train.rows),
    train.labels,
    features.length,
    classes.length,
  );
  const probabilities = standardize(standardizer, test).map((row) => logisticProbabilities(fitted, row));
  const rowClasses = classes.length === 2 ? classes.slice(1) : classes;
  return {
    probabilities,
    predictions: probabilities.map(mostLikelyClass),
    importance: features.map(
      (_, f) => fitted.weights.reduce((total, w) => total + Math.abs(w[f] ?? 0), 0) / fitted.weights.length,
    ),
    coefficients: Object.fromEntries(
      rowClasses.map((label, k) => [
        label,
        {
          intercept: fitted.intercepts[k] ?? 0,
          weights: Object.fromEntries(features.map((name, f) => [name, fitted.weights[k]?.[f] ?? 0])),
        },
      ]),
    ),
  };
}

/** Accuracy and macro F1 (over the classes that occur among actual or predicted) from a confusion matrix. */
function metrics(confusion: readonly number[][], testCount: number): { accuracy: number; f1_macro: number } {
  let correct = 0;
  const scores: number[] = [];
  confusion.forEach((row, k) => {
    const truePositive = row[k] ?? 0;
    correct += truePositive;
    const actual = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((total, other) => total + (other[k] ?? 0), 0);
    if (actual + predicted > 0) scores.push((2 * truePositive) / (actual + predicted));
  });
  return { accuracy: correct / testCount, f1_macro: scores.reduce((a, b) => a + b, 0) / scores.length };
}

/** The stats/train_classifier result, computed here. Throws InvalidOptionsError when the data does not fit. */
export function trainClassifier(table: Table, params: Record<string, unknown>): Record<string, unknown> {
  const parsed = parseOptions(ParamsSchema, params, 'train_classifier parameters');
  const { file, target, model, test_size: testSize, seed } = parsed;
  const features = featureColumns(table, target, parsed.columns);
  const targetCol = requireColumn(table, target);

  const rows: number[] = [];
  const labels: string[] = [];
  for (let row = 0; row < table.rowCount; row += 1) {
    const label = classLabel(targetCol, row);
    if (label === null || !features.every((column) => isFiniteCell(column.values[row]))) continue;
    rows.push(row);
    labels.push(label);
  }
  const classes = [...new Set(labels)].sort(comparePython);
  checkClassCount(targetCol, classes.length);
  const codeOf = new Map(classes.map((label, code) => [label, code]));
  const codes = labels.map((label) => codeOf.get(label) ?? 0);
  const split = stratifiedSplit(rows, codes, classes.length, testSize, seed);
  if (split.test.length === 0) {
    fail(
      'every class has a single complete row, so none can be held out for testing; add rows or choose another target',
    );
  }

  const position = new Map(rows.map((row, at) => [row, at]));
  const featureRow = (row: number): number[] => features.map((column) => column.values[row] ?? NaN);
  const codeAt = (row: number): number => codes[position.get(row) ?? 0] ?? 0;
  const featureNames = features.map((column) => column.name);
  const trained = trainModel(
    model,
    { rows: split.train.map(featureRow), labels: split.train.map(codeAt) },
    split.test.map(featureRow),
    featureNames,
    classes,
    seed,
  );

  const confusion = classes.map(() => new Array<number>(classes.length).fill(0));
  const count = (subset: number[]): number[] =>
    classes.map((_, code) => subset.filter((row) => codeAt(row) === code).length);
  split.test.forEach((row, i) => {
    const actual = confusion[codeAt(row)];
    const predicted = trained.predictions[i] ?? 0;
    if (actual) actual[predicted] = (actual[predicted] ?? 0) + 1;
  });

  return {
    template: 'stats/train_classifier',
    file,
    target,
    features: featureNames,
    model,
    classes,
    rows_used: rows.length,
    rows_dropped: table.rowCount - rows.length,
    n_train: split.train.length,
    n_test: split.test.length,
    test_size: testSize,
    seed,
    class_counts: { train: count(split.train), test: count(split.test) },
    test_rows: split.test,
    predictions: trained.predictions.map((code) => classes[code]),
    probabilities: trained.probabilities,
    metrics: metrics(confusion, split.test.length),
    confusion_matrix: confusion,
    importance: Object.fromEntries(featureNames.map((name, f) => [name, trained.importance[f] ?? 0])),
    coefficients: trained.coefficients,
    definitions: classifierDefinitions(model),
  };
}
