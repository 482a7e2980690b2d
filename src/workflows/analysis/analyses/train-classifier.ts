/**
 * The train_classifier analysis: predict a column of categories from numeric columns with a logistic
 * regression or a random forest, scored on held-out rows (template stats/train_classifier; direct engine
 * in direct/classifier.ts). `/script train_classifier species petal_length` → target species, features
 * petal_length; with only the target named, every other numeric column is a feature.
 */
import { checkClassCount, classLabel, featureColumns, trainClassifier } from '../direct/classifier.js';
import { requireColumn, unique } from '../direct/columns.js';
import { formatNumber } from '../format.js';
import type { AnalysisSpec, Block } from '../spec.js';
import type { Table } from '../table.js';
import { failWithExample } from '../usage-example.js';

const MODEL_NAMES: Record<string, string> = {
  logistic_regression: 'Logistic regression',
  random_forest: 'Random forest',
};

function paramsFromColumns(columns: string[], table: Table): Record<string, unknown> {
  const [target, ...named] = columns;
  if (target === undefined) {
    failWithExample('name the column to predict first, then the features', {
      analysis: 'train_classifier',
      columns: ['species', 'petal_length'],
    });
  }
  featureColumns(table, target, named);
  const column = requireColumn(table, target);
  const classes = new Set<string>();
  for (let row = 0; row < table.rowCount; row += 1) {
    const label = classLabel(column, row);
    if (label !== null) classes.add(label);
  }
  checkClassCount(column, classes.size);
  const features = unique(named);
  return features.length > 0 ? { target, columns: features } : { target };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : formatNumber(value));
const list = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

function present(result: Record<string, unknown>): Block[] {
  const classes = list(result['classes']).map(text);
  const features = list(result['features']).map(text);
  const metrics = record(result['metrics']);
  const dropped = typeof result['rows_dropped'] === 'number' ? result['rows_dropped'] : 0;
  const summary =
    `${MODEL_NAMES[text(result['model'])] ?? text(result['model'])} predicting ${text(result['target'])} ` +
    `from ${features.join(', ')}: accuracy ${formatNumber(metrics['accuracy'])} on ` +
    `${formatNumber(result['n_test'])} held-out rows (trained on ${formatNumber(result['n_train'])}), ` +
    `macro F1 ${formatNumber(metrics['f1_macro'])}.` +
    (dropped > 0 ? ` ${dropped} rows with a missing value were left out.` : '');
  const blocks: Block[] = [
    { kind: 'text', text: summary },
    {
      kind: 'table',
      title: 'Confusion matrix (rows: actual class, columns: predicted)',
      columns: ['actual', ...classes],
      rows: list(result['confusion_matrix']).map((row, k) => [classes[k] ?? '', ...list(row).map(text)]),
    },
  ];
  const importance = Object.entries(record(result['importance'])).sort(
    ([, a], [, b]) => (typeof b === 'number' ? b : 0) - (typeof a === 'number' ? a : 0),
  );
  blocks.push({
    kind: 'table',
    title: 'Feature importance',
    columns: ['feature', 'importance'],
    rows: importance.map(([name, value]) => [name, formatNumber(value)]),
  });
  const coefficients = Object.entries(record(result['coefficients']));
  if (coefficients.length > 0) {
    blocks.push({
      kind: 'table',
      title: 'Coefficients (on standardised features)',
      columns: ['class', 'intercept', ...features],
      rows: coefficients.map(([label, entry]) => {
        const weights = record(record(entry)['weights']);
        return [
          label,
          formatNumber(record(entry)['intercept']),
          ...features.map((name) => formatNumber(weights[name])),
        ];
      }),
    });
  }
  blocks.push({
    kind: 'text',
    // Nothing engine-specific (definitions.engine): a script's result and the direct one read the same.
    text: `Held out ${formatNumber(result['test_size'])} of each class's rows (stratified, seed ${formatNumber(result['seed'])}).`,
  });
  return blocks;
}

export const trainClassifierAnalysis: AnalysisSpec = {
  name: 'train_classifier',
  templateId: 'stats/train_classifier',
  summary:
    'Train a logistic regression or random forest to predict a category; accuracy, confusion matrix and ' +
    'feature importance on held-out rows',
  examples: [
    '/script train_classifier species',
    'train a classifier to predict species',
    '/script train_classifier species petal_length petal_width',
  ],
  keywords: ['classifier', 'classify', 'classification', 'train', 'logistic', 'forest', 'machine learning'],
  charts: false,
  paramsFromColumns,
  direct: trainClassifier,
  present,
};
