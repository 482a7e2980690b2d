/**
 * The canonical CSV carries the table into pandas faithfully: messy uploads are read with readDataset, the
 * canonical CSV goes into the real sandbox, and pandas 1.5 (`read_csv(..., float_precision="round_trip")`)
 * must see exactly the table's column names, types (integer → int64, or float64 with missing cells;
 * number → float64; boolean → bool, or object with missing cells; text → object), missing counts and
 * values, numbers bit for bit.
 */
import writeExcelFile from 'write-excel-file/node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../../src/index.js';
import { readDataset } from '../../../src/workflows/analysis/dataset.js';
import type { Column } from '../../../src/workflows/analysis/table.js';

const READ_BACK = `
import json
import math

import pandas as pd

frame = pd.read_csv("data.csv", float_precision="round_trip")


def plain(value):
    """JSON-safe: numpy scalars to Python, NaN to null, infinities to "inf"/"-inf"."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


print(json.dumps([
    {
        "name": name,
        "dtype": str(frame[name].dtype),
        "missing": int(frame[name].isna().sum()),
        "values": [plain(value) for value in frame[name].tolist()],
    }
    for name in frame.columns
]))
`;

interface PandasColumn {
  name: string;
  dtype: string;
  missing: number;
  values: unknown[];
}

function expectedDtype(column: Column): string {
  switch (column.type) {
    case 'integer':
      return column.missing === 0 ? 'int64' : 'float64';
    case 'number':
      return 'float64';
    case 'boolean':
      return column.missing === 0 ? 'bool' : 'object';
    case 'text':
      return 'object';
  }
}

function jsonValue(value: number | boolean | string | null): unknown {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return value;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const CASES: { name: string; bytes: () => Promise<Uint8Array> | Uint8Array; types: string[] }[] = [
  {
    name: 'na-tokens.csv',
    bytes: () =>
      utf8(
        'n,label\n' +
          ['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>']
            .concat(['N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null'])
            .map((token, index) => `${token},${index % 2 === 0 ? token : `t${index}`}`)
            .join('\n') +
          '\n7,seven\n',
      ),
    types: ['integer', 'text'],
  },
  {
    name: 'quoted.csv',
    bytes: () =>
      utf8(
        'name,quote,size\r\n' +
          '"Smith, J.","she said ""no""",5" pipe\r\n' +
          '"Doe","two\r\nlines",\r\n' +
          'plain,"  padded inside quotes  ",x\r\n' +
          '"",",",","\r\n',
      ),
    types: ['text', 'text', 'text'],
  },
  {
    name: 'integers.csv',
    bytes: () =>
      utf8(
        'full,gappy,big,signed\n' +
          '1,10,9007199254740991,-0\n' +
          '2,,-9007199254740991,+5\n' +
          '3,NA,0,007\n' +
          '4,40,,-12\n',
      ),
    types: ['integer', 'integer', 'integer', 'integer'],
  },
  {
    name: 'booleans.csv',
    bytes: () => utf8('full,gappy,mixed\nTrue,TRUE,1\nfalse,,True\nFALSE,false,x\ntRuE,NA,False\n'),
    types: ['boolean', 'boolean', 'text'],
  },
  {
    name: 'numbers.csv',
    bytes: () =>
      utf8(
        'x,y,z\n' +
          'inf,0.1,3.14159265358979323846264338327950288\n' +
          '-Infinity,0.30000000000000004,1e-300\n' +
          '+INF,.5,5e-324\n' +
          '2.5,5.,1.7976931348623157e308\n' +
          ',-1.5E-7,123456789012345678901234567890\n' +
          '1e400,NaN,-2.2250738585072014e-308\n',
      ),
    types: ['number', 'number', 'number'],
  },
  {
    name: 'whitespace.csv',
    bytes: () => utf8(' id , city ,  score \n 1 ,  Oslo ,  2.5\n2,Rome  ,\t3 \n  ,   ,  \n'),
    types: ['integer', 'text', 'number'],
  },
  {
    name: 'unicode.csv',
    bytes: () =>
      utf8(
        '名前,città,emoji,mixed\n' +
          'Åse,Zürich,😀,1\n' +
          'Ιωάννα,"Kraków, PL",👩‍👩‍👧,inf\n' +
          'مريم,São Paulo,🇳🇴,True\n' +
          'e\u0301,Tōkyō,✓,abc\n',
      ),
    types: ['text', 'text', 'text', 'text'],
  },
  {
    name: 'headers.csv',
    bytes: () => utf8('a,a,,a.1,"b,c",NA,empty\n1,2,3,4,5,6,\n7,8,9,10,11,12,\n'),
    types: ['integer', 'integer', 'integer', 'integer', 'integer', 'integer', 'number'],
  },
  {
    name: 'integral-floats.csv',
    bytes: () => utf8('price,big,negzero\n100.00,9007199254740993,-0.0\n250.0,12345678901234567890,1.5\n'),
    types: ['number', 'number', 'number'],
  },
  {
    name: 'one-column-gaps.csv',
    bytes: () => utf8('v\n1.5\nNA\n\n""\n2\n'),
    types: ['number'],
  },
  {
    name: 'europe.txt',
    bytes: () => utf8('Ort;Preis;Fläche\nWien;"1,5";70\nGraz;2,25;NA\n'),
    types: ['text', 'text', 'integer'],
  },
  {
    name: 'excel-utf16.tsv',
    bytes: () => Buffer.from('\ufeffname\tvalue\r\nÅse\t1.25\r\n"tab\tinside"\t-3\r\n', 'utf16le'),
    types: ['text', 'number'],
  },
  {
    name: 'sheet.xlsx',
    bytes: () =>
      writeExcelFile([
        ['when', 'amount', 'count', 'ok', 'label'],
        [{ value: new Date(Date.UTC(2024, 2, 1)), format: 'yyyy-mm-dd' }, 0.1, 3, true, 'a, b'],
        [{ value: new Date(Date.UTC(2024, 2, 2, 8, 15)), format: 'yyyy-mm-dd hh:mm' }, 1e-7, 4, null, 42],
        [null, 123456.789, 5, false, 'NA'],
      ]).toBuffer(),
    types: ['text', 'number', 'integer', 'boolean', 'text'],
  },
];

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
});
afterAll(async () => {
  await engine?.close();
});

test.each(CASES)('$name: pandas reads the canonical CSV as the table', async ({ name, bytes, types }) => {
  const dataset = await readDataset(name, await bytes());
  expect(dataset.table.columns.map((column) => column.type)).toEqual(types);
  const run = await engine.run({
    language: 'python',
    source: READ_BACK,
    files: [{ name: 'data.csv', content: dataset.csv }],
    limits: { timeoutMs: 60_000, cpuMs: 60_000, memoryMb: 512 },
  });
  expect(run.ok, `${run.stderr}\n${dataset.csv}`).toBe(true);
  const pandas = JSON.parse(run.stdout) as PandasColumn[];
  expect(pandas.map((column) => column.name)).toEqual(dataset.table.columns.map((column) => column.name));
  dataset.table.columns.forEach((column, index) => {
    const seen = pandas[index];
    expect(seen?.dtype, `${column.name} dtype`).toBe(expectedDtype(column));
    expect(seen?.missing, `${column.name} missing`).toBe(column.missing);
    expect(seen?.values, `${column.name} values`).toEqual(column.values.map(jsonValue));
  });
});
