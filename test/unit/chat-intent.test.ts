/**
 * The chat's intent parser: commands, library triggers, and natural requests resolved to an analysis
 * (by keywords) and dataset columns (in order of mention, longest first, case-insensitive).
 */
import { describe, expect, test } from 'vitest';
import {
  parseIntent,
  splitArgs,
  type AnalysisWords,
  type ParseContext,
} from '../../src/workflows/chat/intent.js';
import { ANALYSES } from '../../src/workflows/analysis/analyses/index.js';

/** The analyses' names and keywords, as their specs declare them (fixed here so the parser's rules are tested). */
const WORDS: AnalysisWords[] = [
  { name: 'descriptive', keywords: ['descriptive', 'describe', 'summary', 'statistics', 'mean', 'average'] },
  { name: 'correlation', keywords: ['correlation', 'correlate', 'relationship', 'pearson', 'spearman'] },
  { name: 'regression', keywords: ['regression', 'regress', 'linear model', 'ols', 'coefficients'] },
  { name: 'group_summary', keywords: ['group', 'grouped', 'per group', 'breakdown', 'aggregate'] },
  { name: 'histogram', keywords: ['histogram', 'distribution', 'frequency', 'bins'] },
  { name: 'scatter', keywords: ['scatter', 'scatterplot', 'against', 'versus', 'vs'], takesXFirst: true },
  { name: 'boxplot', keywords: ['boxplot', 'box', 'whisker', 'outlier'] },
  { name: 'train_classifier', keywords: ['classifier', 'classify', 'train', 'logistic', 'machine learning'] },
];

const HOUSING: ParseContext = {
  analyses: WORDS,
  columns: ['area', 'rooms', 'district', 'price', 'price_m2', 'year built', 'Floor Area'],
};
const NO_DATA: ParseContext = { analyses: WORDS, columns: [] };

const parse = (text: string, context = HOUSING) => parseIntent(text, context);

describe('commands', () => {
  test.each([
    ['/start', { kind: 'start' }],
    ['/help', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['/script', { kind: 'list-analyses' }],
    ['/preview', { kind: 'preview' }],
    ['show the data', { kind: 'preview' }],
    ['Show me the dataset.', { kind: 'preview' }],
    ['/code', { kind: 'show-script' }],
    ['show the script', { kind: 'show-script' }],
    ['Show me the last code', { kind: 'show-script' }],
    ['/scripts', { kind: 'list-code' }],
    ['list code', { kind: 'list-code' }],
    ['List scripts', { kind: 'list-code' }],
  ])('%s', (text, intent) => {
    expect(parse(text)).toEqual(intent);
  });

  test('Telegram adds the bot name to commands in groups: /script@DataBot', () => {
    expect(parse('/script@DataBot histogram price')).toEqual({
      kind: 'analysis',
      analysis: 'histogram',
      columns: ['price'],
      unknown: [],
    });
    expect(parse('/help@DataBot')).toEqual({ kind: 'help' });
  });

  test('/script <analysis> [columns...]: columns as the dataset spells them, in the order typed', () => {
    expect(parse('/script correlation PRICE area rooms')).toEqual({
      kind: 'analysis',
      analysis: 'correlation',
      columns: ['price', 'area', 'rooms'],
      unknown: [],
    });
  });

  test('/script takes quoted names with spaces, and keeps the exact spelling when it exists', () => {
    expect(parse('/script regression price "floor area" \'year built\'')).toEqual({
      kind: 'analysis',
      analysis: 'regression',
      columns: ['price', 'Floor Area', 'year built'],
      unknown: [],
    });
  });

  test('/script reports the arguments that are no column, and the analysis name ignores case and dashes', () => {
    expect(parse('/script Group-Summary district cost price')).toEqual({
      kind: 'analysis',
      analysis: 'group_summary',
      columns: ['district', 'price'],
      unknown: ['cost'],
    });
  });

  test('/script without a dataset: every column is unknown (the engine asks for a CSV first)', () => {
    expect(parse('/script histogram price', NO_DATA)).toEqual({
      kind: 'analysis',
      analysis: 'histogram',
      columns: [],
      unknown: ['price'],
    });
  });

  test('/script with a name that is no analysis', () => {
    expect(parse('/script anova price')).toEqual({ kind: 'unknown-analysis', name: 'anova' });
  });

  test('an unknown command is answered as one, also one named like an object property', () => {
    expect(parse('/frobnicate now')).toEqual({ kind: 'unknown-command', command: 'frobnicate', args: 'now' });
    expect(parse('/constructor')).toEqual({ kind: 'unknown-command', command: 'constructor', args: '' });
    expect(parse('/toString')).toEqual({ kind: 'unknown-command', command: 'tostring', args: '' });
    expect(parse('/scirpt histogram price')).toEqual({
      kind: 'unknown-command',
      command: 'scirpt',
      args: 'histogram price',
    });
  });

  test('a path is not a command', () => {
    expect(parse('/usr/bin/env python')).toEqual({ kind: 'free', text: '/usr/bin/env python' });
  });
});

describe('argument splitting', () => {
  test('quotes of three kinds keep spaces; empty quotes are dropped', () => {
    expect(splitArgs(`a "b c" 'd e' “f g” "" h`)).toEqual(['a', 'b c', 'd e', 'f g', 'h']);
  });
});

describe('natural requests', () => {
  test.each([
    ['generate a script for correlation between price and area', 'correlation', ['price', 'area']],
    ['train a classifier to predict district', 'train_classifier', ['district']],
    ['describe the data', 'descriptive', []],
    ['histogram of price', 'histogram', ['price']],
    ['Histograms of PRICE and Rooms', 'histogram', ['price', 'rooms']],
    ['plot price against area', 'scatter', ['area', 'price']],
    ['box plot of price by district', 'boxplot', ['price', 'district']],
    ['what is the relationship between rooms and price?', 'correlation', ['rooms', 'price']],
  ])('%s → %s %j', (text, analysis, columns) => {
    expect(parse(text)).toEqual({ kind: 'analysis', analysis, columns, unknown: [] });
  });

  test('"Y vs X" and "Y against X" put Y on the vertical axis: scatter gets X first', () => {
    const context = { analyses: WORDS, columns: ['income', 'age', 'region'] };
    const columnsOf = (text: string) => parseIntent(text, context);
    expect(columnsOf('plot income vs age')).toMatchObject({
      analysis: 'scatter',
      columns: ['age', 'income'],
    });
    expect(columnsOf('plot income vs. age')).toMatchObject({ columns: ['age', 'income'] });
    expect(columnsOf('income versus age')).toMatchObject({ columns: ['age', 'income'] });
    expect(columnsOf('plot income against age by region')).toMatchObject({
      columns: ['age', 'income', 'region'],
    });
    expect(columnsOf('plot "income" vs "age"')).toMatchObject({ columns: ['age', 'income'] });
    // Named as x and y: the order stays.
    expect(columnsOf('scatter of age and income')).toMatchObject({ columns: ['age', 'income'] });
    expect(columnsOf('scatter of age, income')).toMatchObject({ columns: ['age', 'income'] });
    expect(columnsOf('scatter age income')).toMatchObject({ columns: ['age', 'income'] });
  });

  test('"Y vs X" keeps its order for analyses that take the dependent column first', () => {
    const context = { analyses: WORDS, columns: ['income', 'age'] };
    // Regression's target comes first: income regressed on age.
    expect(parseIntent('regression of income vs age', context)).toMatchObject({
      analysis: 'regression',
      columns: ['income', 'age'],
    });
  });

  test('the longest column name wins: price_m2 is not read as price', () => {
    expect(parse('histogram of price_m2')).toMatchObject({ analysis: 'histogram', columns: ['price_m2'] });
    expect(parse('correlation of price_m2 and price')).toMatchObject({ columns: ['price_m2', 'price'] });
  });

  test('column names with spaces are found, in order of mention, each once', () => {
    expect(parse('regression of price on floor area and year built and price')).toMatchObject({
      analysis: 'regression',
      columns: ['price', 'Floor Area', 'year built'],
    });
  });

  test('a column inside a longer word is not mentioned: "areas" and "priced" name no column', () => {
    expect(parse('histogram of areas priced high')).toMatchObject({ analysis: 'histogram', columns: [] });
  });

  test('the analysis with the most keyword matches wins; a tie goes to the one mentioned first', () => {
    expect(parse('train a logistic regression classifier for district')).toMatchObject({
      analysis: 'train_classifier',
      columns: ['district'],
    });
    expect(parse('regression coefficients, and a scatter')).toMatchObject({ analysis: 'regression' });
    expect(parse('a scatter, then a histogram')).toMatchObject({ analysis: 'scatter' });
  });

  test('keywords are whole words, plurals included: "boxes" is box, "meanwhile" is not mean', () => {
    expect(parse('boxes of price')).toMatchObject({ analysis: 'boxplot' });
    expect(parse('meanwhile, price')).toEqual({ kind: 'free', text: 'meanwhile, price' });
  });

  test('a longer keyword is claimed before the words in it: "box plot" leaves no "plot" to count', () => {
    const analyses = [
      { name: 'scatter', keywords: ['plot', 'points'] },
      { name: 'boxplot', keywords: ['box plot'] },
    ];
    // Were "plot" counted too, scatter would have two matches to one.
    expect(parseIntent('a box plot of points', { analyses, columns: [] })).toMatchObject({
      analysis: 'boxplot',
    });
  });

  test('column names are matched before keywords: a column called "group" is a column', () => {
    const context = { analyses: WORDS, columns: ['group', 'score'] };
    expect(parseIntent('histogram of score by group', context)).toMatchObject({
      analysis: 'histogram',
      columns: ['score', 'group'],
    });
  });

  test('a column named like a small word counts only when quoted', () => {
    const context = { analyses: WORDS, columns: ['a', 'b', 'x'] };
    expect(parseIntent('train a classifier to predict b from x', context)).toMatchObject({
      columns: ['b', 'x'],
    });
    expect(parseIntent('scatter of "a" and x', context)).toMatchObject({ columns: ['a', 'x'] });
    expect(parseIntent('scatter of "a" against x', context)).toMatchObject({ columns: ['x', 'a'] });
  });

  test('without a dataset the analysis is still found (the engine then asks for a CSV)', () => {
    expect(parse('correlation between price and area', NO_DATA)).toEqual({
      kind: 'analysis',
      analysis: 'correlation',
      columns: [],
      unknown: [],
    });
  });

  test('a request naming no analysis is free text', () => {
    expect(parse('  count the rows where price is above 100  ')).toEqual({
      kind: 'free',
      text: 'count the rows where price is above 100',
    });
  });
});

describe('library triggers', () => {
  test('generate code: the request, and the analysis it matches if any', () => {
    expect(parse('generate code: correlation between price and area')).toEqual({
      kind: 'generate-code',
      request: 'correlation between price and area',
      analysis: { analysis: 'correlation', columns: ['price', 'area'] },
    });
    expect(parse('Generate code to list the primes below 100')).toEqual({
      kind: 'generate-code',
      request: 'to list the primes below 100',
      analysis: null,
    });
    expect(parse('generate code')).toEqual({ kind: 'generate-code', request: '', analysis: null });
  });

  test('run and delete code take one name; trailing punctuation is not part of it', () => {
    expect(parse('run code stats_descriptive_001.py')).toEqual({
      kind: 'run-code',
      name: 'stats_descriptive_001.py',
    });
    expect(parse('Delete code stats_descriptive_001.py!')).toEqual({
      kind: 'delete-code',
      name: 'stats_descriptive_001.py',
    });
    expect(parse('RUN CODE chat_count_rows_002.py.')).toEqual({
      kind: 'run-code',
      name: 'chat_count_rows_002.py',
    });
  });

  test('update code: an instruction for the LLM', () => {
    expect(parse('update code stats_histogram_001.py to use 20 bins')).toEqual({
      kind: 'update-code',
      name: 'stats_histogram_001.py',
      instruction: 'use 20 bins',
      code: null,
    });
  });

  test('update code with a fenced block: the code verbatim, words around it as the note', () => {
    expect(parse('update code math_add_001.py to ```python\nprint(1 + 2)\n```')).toEqual({
      kind: 'update-code',
      name: 'math_add_001.py',
      instruction: '',
      code: 'print(1 + 2)\n',
    });
    expect(parse('update code math_add_001.py to\n```\nprint(3)\n```\nsimpler')).toEqual({
      kind: 'update-code',
      name: 'math_add_001.py',
      instruction: 'simpler',
      code: 'print(3)\n',
    });
  });

  test('"run code" with more than a name is not a trigger (nothing runs by accident)', () => {
    expect(parse('run code x_y_001.py and then delete it')).toMatchObject({ kind: 'free' });
  });
});

describe('the analyses as installed', () => {
  // Every example of every installed analysis, command or words, must parse to that analysis.
  const columns = [
    ...['area', 'rooms', 'district', 'price', 'year_built', 'balcony'],
    ...['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'],
  ];
  const cases = ANALYSES.flatMap((spec) => spec.examples.map((example) => [spec.name, example]));

  test('there are installed analyses with /script examples', () => {
    expect(cases.length).toBeGreaterThanOrEqual(ANALYSES.length);
  });

  test.each(cases)('%s: %s', (name, example) => {
    expect(parseIntent(example, { analyses: ANALYSES, columns })).toMatchObject({
      kind: 'analysis',
      analysis: name,
      ...(example.startsWith('/script') ? { unknown: [] } : {}),
    });
  });

  test.each([
    ['average price per district', ['district', 'price']],
    ['mean area and price by rooms', ['rooms', 'area', 'price']],
    ['summary statistics of petal_length for each species', ['species', 'petal_length']],
  ])('a statistic per group of a column is a group summary, grouping column first: %s', (text, cols) => {
    expect(parseIntent(text, { analyses: ANALYSES, columns })).toEqual({
      kind: 'analysis',
      analysis: 'group_summary',
      columns: cols,
      unknown: [],
    });
  });

  test('scatter as installed: "plot price vs area" draws price over area (x area, y price)', () => {
    expect(parseIntent('plot price vs area', { analyses: ANALYSES, columns })).toEqual({
      kind: 'analysis',
      analysis: 'scatter',
      columns: ['area', 'price'],
      unknown: [],
    });
  });

  test('a chart by a column stays that chart', () => {
    expect(parseIntent('boxplot of price by district', { analyses: ANALYSES, columns })).toMatchObject({
      analysis: 'boxplot',
      columns: ['price', 'district'],
    });
  });
});
