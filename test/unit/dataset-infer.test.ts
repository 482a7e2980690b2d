/**
 * Type inference and header naming of the dataset reader, against what pandas 1.5 `read_csv` infers (the
 * expectations for edge cases were checked with pandas 1.5.3; the integration test checks the whole path).
 */
import { describe, expect, test } from 'vitest';
import { InvalidDatasetError } from '../../src/errors.js';
import { inferTable, pandasColumnNames } from '../../src/workflows/analysis/dataset-infer.js';
import type { Column } from '../../src/workflows/analysis/table.js';

/** The one column inferred from these cells. */
function column(...cells: string[]): Column {
  const { table } = inferTable(
    'f.csv',
    ['x'],
    cells.map((cell) => [cell]),
  );
  const [only] = table.columns;
  if (only === undefined) return expect.fail('no column');
  return only;
}

const NA_TOKENS = [
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
];

describe('type inference', () => {
  test('whole numbers are integer; a decimal point or an exponent makes them number', () => {
    expect(column('1', '-2', '+3', '007')).toMatchObject({
      type: 'integer',
      values: [1, -2, 3, 7],
      missing: 0,
    });
    expect(column('1', '2.0')).toMatchObject({ type: 'number', values: [1, 2] });
    expect(column('1', '1e3')).toMatchObject({ type: 'number', values: [1, 1000] });
    expect(column('5.', '.5', '-1.5E-2')).toMatchObject({ type: 'number', values: [5, 0.5, -0.015] });
  });

  test('integers of magnitude 2^53 or more are numbers (JavaScript cannot hold them all exactly)', () => {
    expect(column('9007199254740991', '-9007199254740991').type).toBe('integer');
    expect(column('9007199254740992', '1').type).toBe('number');
    expect(column('-9007199254740993', '1')).toMatchObject({
      type: 'number',
      values: [-9007199254740992, 1],
    });
  });

  test('decimal strings parse exactly as Number() does, including many digits', () => {
    const digits = '3.14159265358979323846264338327950288';
    expect(column(digits, '0.1').values).toEqual([Number(digits), 0.1]);
  });

  test('infinities in any case and sign are numbers', () => {
    expect(column('inf', '-inf', 'Infinity', '+INF', '-infinity', '2')).toMatchObject({
      type: 'number',
      values: [Infinity, -Infinity, Infinity, Infinity, -Infinity, 2],
    });
  });

  test('hex, digit separators, decimal commas and NaN spellings pandas does not know are text', () => {
    for (const odd of ['0x10', '1,5', '1_000', '1e', '.', '--1', 'NAN', '1 000']) {
      expect(column('1', odd), odd).toMatchObject({ type: 'text', values: ['1', odd] });
    }
  });

  test('every pandas NA token is missing, in numeric and text columns alike', () => {
    const cells = [...NA_TOKENS, '4'];
    expect(column(...cells)).toMatchObject({
      type: 'integer',
      missing: NA_TOKENS.length,
      values: [...NA_TOKENS.map(() => null), 4],
    });
    expect(column('NA', 'a', 'null')).toMatchObject({ type: 'text', missing: 2, values: [null, 'a', null] });
  });

  test('NA tokens are matched after trimming but are case-sensitive', () => {
    expect(column(' NA ', 'Null', '1')).toMatchObject({
      type: 'text',
      missing: 1,
      values: [null, 'Null', '1'],
    });
  });

  test('cells are trimmed before inference, and text values are kept trimmed', () => {
    expect(column(' 1 ', '\t2')).toMatchObject({ type: 'integer', values: [1, 2] });
    expect(column('  north ', 'south')).toMatchObject({ type: 'text', values: ['north', 'south'] });
  });

  test('booleans in any letter case, with missing cells', () => {
    expect(column('True', 'false', 'TRUE', 'tRuE', '')).toMatchObject({
      type: 'boolean',
      missing: 1,
      values: [true, false, true, true, null],
    });
    expect(column('True', '1').type).toBe('text');
    expect(column('yes', 'no').type).toBe('text');
  });

  test('a column of only missing cells is number; -0 in an integer column is 0', () => {
    expect(column('', 'NA', ' ')).toMatchObject({ type: 'number', missing: 3, values: [null, null, null] });
    expect(Object.is(column('-0', '1').values[0], 0)).toBe(true);
  });

  test('a mostly numeric text column and a decimal-comma column get a hint naming the culprits', () => {
    const mostly = inferTable('f.csv', ['price'], [['1'], ['2'], ['n.a.'], ['3']]);
    expect(mostly.table.columns[0]?.type).toBe('text');
    expect(mostly.warnings).toEqual([
      expect.stringContaining('column "price" is read as text because 1 of its 4'),
    ]);
    expect(mostly.warnings[0]).toContain('"n.a."');
    const commas = inferTable('f.csv', ['price'], [['1,5'], ['2']]);
    expect(commas.warnings).toEqual([expect.stringContaining('numbers such as "1,5" have a decimal comma')]);
    expect(inferTable('f.csv', ['city'], [['Oslo'], ['Rome'], ['2']]).warnings).toEqual([]);
  });

  test('a header with no rows is refused', () => {
    expect(() => inferTable('f.csv', ['a', 'b'], [])).toThrow(InvalidDatasetError);
    expect(() => inferTable('f.csv', ['a', 'b'], [])).toThrow('has a header row but no data rows');
  });
});

describe('header names', () => {
  test('empty names become Unnamed: <index>, duplicates get .1, .2 as pandas 1.5 names them', () => {
    // pandas 1.5.3 read_csv on "a,a,a.1,,a": ['a', 'a.2', 'a.1', 'Unnamed: 3', 'a.3']
    expect(pandasColumnNames(['a', 'a', 'a.1', '', 'a'])).toEqual(['a', 'a.2', 'a.1', 'Unnamed: 3', 'a.3']);
    expect(pandasColumnNames(['', 'a', ''])).toEqual(['Unnamed: 0', 'a', 'Unnamed: 2']);
    // Named columns keep their names; the unnamed one that collides is renamed.
    expect(pandasColumnNames(['', 'Unnamed: 0'])).toEqual(['Unnamed: 0.1', 'Unnamed: 0']);
  });

  test('header names are trimmed, and renaming is reported in one warning', () => {
    const { table, warnings } = inferTable('f.csv', [' price ', 'price', '  '], [['1', '2', '3']]);
    expect(table.columns.map((c) => c.name)).toEqual(['price', 'price.1', 'Unnamed: 2']);
    expect(warnings).toEqual([
      'renamed columns as pandas does: column 2 "price" is a duplicate, now "price.1"; ' +
        'column 3 has no name, now "Unnamed: 2"',
    ]);
  });
});
