/**
 * A parsed table, as the dataset reader infers it and as the direct statistics engine reads it. The
 * canonical CSV uploaded to a session is written from this, so pandas in the sandbox reads the same
 * values with the same types.
 *
 * Types: `integer` and `number` columns are numeric (every non-missing cell is a finite or infinite
 * decimal number); `boolean` columns hold only true/false spellings pandas reads as bool; everything
 * else is `text` (categories). Missing cells are `null`: empty cells and pandas' default NA spellings.
 */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'text';

export interface NumericColumn {
  name: string;
  type: 'integer' | 'number';
  values: (number | null)[];
  missing: number;
}

export interface BooleanColumn {
  name: string;
  type: 'boolean';
  values: (boolean | null)[];
  missing: number;
}

export interface TextColumn {
  name: string;
  type: 'text';
  values: (string | null)[];
  missing: number;
}

export type Column = NumericColumn | BooleanColumn | TextColumn;

export interface Table {
  columns: Column[];
  rowCount: number;
}

export function isNumericColumn(column: Column): column is NumericColumn {
  return column.type === 'integer' || column.type === 'number';
}

/** The column called `name`, or undefined. */
export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((column) => column.name === name);
}
