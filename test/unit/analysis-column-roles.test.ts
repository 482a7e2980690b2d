/** Which columns the chat suggests as measures and as categories (src/workflows/analysis/column-roles.ts). */
import { describe, expect, test } from 'vitest';
import {
  columnRoles,
  hasIdentifierName,
  MAX_SUGGESTED_GROUPS,
} from '../../src/workflows/analysis/column-roles.js';
import type { Column, Table } from '../../src/workflows/analysis/table.js';

const ROWS = 60;
const each = <T>(make: (row: number) => T): T[] => Array.from({ length: ROWS }, (_, row) => make(row));

function table(...columns: Column[]): Table {
  return { rowCount: ROWS, columns };
}

describe('identifier names', () => {
  test.each(['id', 'ID', 'Id', 'customer_id', 'customerId', 'order-ID', 'user id', 'uuid', 'Unnamed: 0'])(
    '%s is an identifier',
    (name) => expect(hasIdentifierName(name)).toBe(true),
  );

  test.each(['paid', 'valid', 'android', 'idle_time', 'price', 'region', 'width', 'index_score'])(
    '%s is not',
    (name) => expect(hasIdentifierName(name)).toBe(false),
  );
});

describe('columnRoles', () => {
  test('identifiers are neither measures nor categories', () => {
    const roles = columnRoles(
      table(
        { name: 'id', type: 'integer', values: each((row) => row * 3), missing: 0 },
        { name: 'n', type: 'integer', values: each((row) => ROWS - row), missing: 0 },
        { name: 'store_id', type: 'text', values: each((row) => `S${row % 4}`), missing: 0 },
        { name: 'price', type: 'number', values: each((row) => row * 1.5), missing: 0 },
      ),
    );
    // `n` counts rows (60..1, one each, no gaps); store_id repeats but is named as an id.
    expect(roles).toEqual({ measures: ['price'], categories: [] });
  });

  test('categories have few values, each on two rows or more on average; text before true/false', () => {
    const roles = columnRoles(
      table(
        { name: 'flag', type: 'boolean', values: each((row) => row % 2 === 0), missing: 0 },
        { name: 'email', type: 'text', values: each((row) => `u${row}@x.org`), missing: 0 },
        { name: 'city', type: 'text', values: each((row) => `city ${row % 30}`), missing: 0 },
        {
          name: 'many',
          type: 'text',
          values: each((row) => `v${row % (MAX_SUGGESTED_GROUPS + 1)}`),
          missing: 0,
        },
        {
          name: 'region',
          type: 'text',
          values: each((row) => ['n', 's', null][row % 3] ?? null),
          missing: 20,
        },
        { name: 'one', type: 'text', values: each(() => 'same'), missing: 0 },
      ),
    );
    expect(roles.categories).toEqual(['region', 'flag']);
  });

  test('a numeric column with gaps or repeats is a measure, whole numbers or not', () => {
    const roles = columnRoles(
      table(
        { name: 'year', type: 'integer', values: each((row) => 1990 + 2 * row), missing: 0 },
        { name: 'rooms', type: 'integer', values: each((row) => 1 + (row % 5)), missing: 0 },
      ),
    );
    expect(roles.measures).toEqual(['year', 'rooms']);
  });
});
