/**
 * readDataset end to end on bytes as users upload them: formats (CSV, TSV, semicolons, xlsx), encodings,
 * the size limit, the errors users see, safe file names and the canonical CSV; and previewBlocks.
 */
import writeExcelFile from 'write-excel-file/node';
import { describe, expect, test } from 'vitest';
import { InvalidDatasetError, InvalidOptionsError } from '../../src/errors.js';
import {
  DEFAULT_MAX_DATASET_BYTES,
  datasetFileName,
  readDataset,
  type Dataset,
} from '../../src/workflows/analysis/dataset.js';
import { previewBlocks } from '../../src/workflows/analysis/dataset-preview.js';
import { megabytes } from '../../src/text.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function utf16(text: string, endian: 'le' | 'be'): Uint8Array {
  const bytes = Buffer.from(`\ufeff${text}`, 'utf16le');
  return endian === 'le' ? bytes : bytes.swap16();
}

async function failure(name: string, bytes: Uint8Array, opts?: { maxBytes?: number }): Promise<string> {
  const err: unknown = await readDataset(name, bytes, opts).then(
    () => expect.fail(`${name} was read without an error`),
    (error: unknown) => error,
  );
  expect(err).toBeInstanceOf(InvalidDatasetError);
  return (err as Error).message;
}

function columnsOf(dataset: Dataset): [string, string, number][] {
  return dataset.table.columns.map((column) => [column.name, column.type, column.missing]);
}

describe('readDataset: formats', () => {
  test('a messy CSV becomes a typed table and its canonical CSV', async () => {
    const text =
      'city,price,rooms,balcony,note\r\n' +
      '"Oslo, N",1.5,3,TRUE,"said ""hi"""\r\n' +
      'Rome,NA,,false,\r\n' +
      ' Bern ,inf,-2,True,"two\r\nlines"\r\n' +
      '\r\n';
    const dataset = await readDataset('Flats.csv', utf8(text));
    expect(dataset.format).toBe('csv');
    expect(dataset.fileName).toBe('flats.csv');
    expect(dataset.table.rowCount).toBe(3);
    expect(columnsOf(dataset)).toEqual([
      ['city', 'text', 0],
      ['price', 'number', 1],
      ['rooms', 'integer', 1],
      ['balcony', 'boolean', 0],
      ['note', 'text', 1],
    ]);
    expect(dataset.table.columns.map((column) => column.values)).toEqual([
      ['Oslo, N', 'Rome', 'Bern'],
      [1.5, null, Infinity],
      [3, null, -2],
      [true, false, true],
      ['said "hi"', null, 'two\r\nlines'],
    ]);
    expect(dataset.csv).toBe(
      'city,price,rooms,balcony,note\n' +
        '"Oslo, N",1.5,3,True,"said ""hi"""\n' +
        'Rome,,,False,\n' +
        'Bern,inf,-2,True,"two\r\nlines"\n',
    );
    expect(dataset.warnings).toEqual(['blank lines skipped: 1']);
  });

  test('TSV by extension (.tsv and .tab), with commas inside values', async () => {
    for (const name of ['t.tsv', 't.tab']) {
      const dataset = await readDataset(name, utf8('name\tamount\nSmith, J.\t1,5\nDoe\t2\n'));
      expect(dataset.format).toBe('tsv');
      expect(dataset.table.columns.map((column) => column.values)).toEqual([
        ['Smith, J.', 'Doe'],
        ['1,5', '2'],
      ]);
    }
  });

  test('semicolon-separated CSV (as Excel saves it in Europe) is sniffed, for .csv, .txt and no extension', async () => {
    for (const name of ['eu.csv', 'eu.txt', 'eu']) {
      const dataset = await readDataset(name, utf8('Stadt;Preis;Zimmer\nWien;1,5;3\nGraz;2;4\n'));
      expect(dataset.format).toBe('csv');
      expect(columnsOf(dataset)).toEqual([
        ['Stadt', 'text', 0],
        ['Preis', 'text', 0],
        ['Zimmer', 'integer', 0],
      ]);
      expect(dataset.warnings[0]).toBe('read as semicolon-separated values');
      expect(dataset.warnings[1]).toContain('column "Preis" is read as text: numbers such as "1,5"');
    }
  });

  test('a tab-separated .txt is sniffed as TSV', async () => {
    const dataset = await readDataset('export.txt', utf8('a\tb\n1\t2\n'));
    expect(dataset.format).toBe('tsv');
    expect(columnsOf(dataset)).toEqual([
      ['a', 'integer', 0],
      ['b', 'integer', 0],
    ]);
  });

  test('duplicate and empty headers are renamed as pandas does, with a warning', async () => {
    const dataset = await readDataset('h.csv', utf8('a,a,,b\n1,2,3,4\n'));
    expect(dataset.table.columns.map((column) => column.name)).toEqual(['a', 'a.1', 'Unnamed: 2', 'b']);
    expect(dataset.csv.split('\n')[0]).toBe('a,a.1,Unnamed: 2,b');
    expect(dataset.warnings).toEqual([expect.stringContaining('renamed columns as pandas does')]);
  });
});

describe('readDataset: encodings', () => {
  test('a UTF-8 byte order mark is dropped (not part of the first column name)', async () => {
    const dataset = await readDataset(
      'bom.csv',
      new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('größe,n\n1,2\n')]),
    );
    expect(dataset.table.columns.map((column) => column.name)).toEqual(['größe', 'n']);
    expect(dataset.warnings).toEqual([]);
  });

  test.each(['le', 'be'] as const)(
    'UTF-16 %s with a byte order mark is decoded, with a warning',
    async (endian) => {
      const dataset = await readDataset('u16.csv', utf16('名前,値\r\nÅse,1\r\n', endian));
      expect(dataset.table.columns.map((column) => [column.name, column.values])).toEqual([
        ['名前', ['Åse']],
        ['値', [1]],
      ]);
      expect(dataset.warnings).toEqual([`decoded from UTF-16 ${endian.toUpperCase()}`]);
    },
  );

  test('bytes that are not UTF-8 are refused with the line and how to re-save', async () => {
    // "Café" in Windows-1252 on line 3.
    const message = await failure('legacy.csv', new Uint8Array([...utf8('a\nx\nCaf'), 0xe9, 0x0a]));
    expect(message).toContain('legacy.csv is not UTF-8 text (the first invalid byte is on line 3)');
    expect(message).toContain('CSV UTF-8');
  });

  test('NUL bytes mean a binary file, whether or not the rest is valid UTF-8', async () => {
    expect(await failure('bin.csv', utf8('a,b\n1,\u00002\n'))).toContain('contains NUL bytes');
    expect(await failure('img.csv', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]))).toContain(
      'contains NUL bytes',
    );
    // UTF-16 without a byte order mark is mostly NULs.
    expect(await failure('u16.csv', Buffer.from('a,b\n1,2\n', 'utf16le'))).toContain('UTF-16');
  });
});

describe('readDataset: size and emptiness', () => {
  test('a file over maxBytes is refused with both sizes in MB, before it is parsed', async () => {
    // Over the limit and not even valid CSV: the size is what is reported.
    const message = await failure('big.csv', new Uint8Array(2_000).fill(0xff), { maxBytes: 1_000 });
    expect(message).toMatch(/^big\.csv is 0\.002 MB, over the limit of 0\.001 MB/);
  });

  test('a 200 MB upload is refused by its size against the default 50 MB limit', async () => {
    expect(DEFAULT_MAX_DATASET_BYTES).toBe(50_000_000);
    // All NUL bytes: if anything but the size were checked first, this would be a "binary file" error.
    const message = await failure('huge.csv', new Uint8Array(200_000_000));
    expect(message).toMatch(/^huge\.csv is 200 MB, over the limit of 50 MB\. Upload a smaller file/);
  });

  test('sizes are decimal megabytes: a 61.5 MB file is 61.5 MB, not 58.7 (MiB called MB)', async () => {
    const message = await failure('big.csv', new Uint8Array(61_500_000));
    expect(message).toMatch(/^big\.csv is 61\.5 MB, over the limit of 50 MB\./);
    expect(megabytes(61_500_000)).toBe('61.5 MB');
    expect(megabytes(20 * 1024 * 1024)).toBe('21 MB');
  });

  test('a file exactly at the limit is read', async () => {
    const bytes = utf8('a\n1\n');
    expect((await readDataset('ok.csv', bytes, { maxBytes: bytes.byteLength })).table.rowCount).toBe(1);
  });

  test('empty, header-only and blank-only files get their own errors', async () => {
    expect(await failure('e.csv', new Uint8Array(0))).toContain('e.csv is empty (0 bytes)');
    expect(await failure('h.csv', utf8('a,b,c\r\n'))).toContain('h.csv has a header row but no data rows');
    expect(await failure('b.csv', utf8('\n\n  \n'))).toContain('b.csv has no columns');
    expect(await failure('bom.csv', new Uint8Array([0xef, 0xbb, 0xbf]))).toContain('has no columns');
  });

  test('malformed rows surface the parser errors', async () => {
    expect(
      await failure('r.csv', utf8('a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4,5\n')),
    ).toContain('line 7 has 5 fields, the header has 4');
    expect(await failure('q.csv', utf8('a\n"open\n'))).toContain(
      'the quote opened on line 2 is never closed',
    );
  });

  test('invalid options are InvalidOptionsError', async () => {
    await expect(readDataset('a.csv', utf8('a\n1\n'), { maxBytes: 0 })).rejects.toThrow(InvalidOptionsError);
  });
});

describe('readDataset: xlsx', () => {
  async function workbook(): Promise<Uint8Array> {
    return writeExcelFile([
      {
        sheet: 'Flats',
        data: [
          ['district', 'price', 'rooms', 'listed', 'balcony', null, 'note'],
          [
            'north',
            1234.5,
            3,
            { value: new Date(Date.UTC(2024, 0, 5)), format: 'yyyy-mm-dd' },
            true,
            null,
            'NA',
          ],
          [null, null, null, null, null, null, null],
          [
            'south',
            0.1,
            4,
            { value: new Date(Date.UTC(2024, 1, 29, 13, 30)), format: 'yyyy-mm-dd hh:mm' },
            false,
            null,
            'x',
          ],
          ['centre', null, 5, null, null, null, 7],
        ],
      },
      { sheet: 'Notes', data: [['ignored'], [1]] },
    ]).toBuffer();
  }

  test('the first sheet: numbers stay numbers, dates become ISO text, empty rows and columns go', async () => {
    const dataset = await readDataset('Flats 2024.xlsx', await workbook());
    expect(dataset.format).toBe('xlsx');
    expect(dataset.fileName).toBe('flats_2024.csv');
    expect(columnsOf(dataset)).toEqual([
      ['district', 'text', 0],
      ['price', 'number', 1],
      ['rooms', 'integer', 0],
      ['listed', 'text', 1],
      ['balcony', 'boolean', 1],
      ['note', 'text', 1],
    ]);
    expect(dataset.table.columns.map((column) => column.values)).toEqual([
      ['north', 'south', 'centre'],
      [1234.5, 0.1, null],
      [3, 4, 5],
      ['2024-01-05', '2024-02-29T13:30:00.000Z', null],
      [true, false, null],
      [null, 'x', '7'],
    ]);
    expect(dataset.warnings).toEqual([
      'read the first sheet "Flats" of 2; upload other sheets as their own files',
      'empty rows skipped: 1',
      'empty columns skipped: 1',
    ]);
    expect(dataset.csv).toBe(
      'district,price,rooms,listed,balcony,note\n' +
        'north,1234.5,3,2024-01-05,True,\n' +
        'south,0.1,4,2024-02-29T13:30:00.000Z,False,x\n' +
        'centre,,5,,,7\n',
    );
  });

  test('a workbook uploaded under another extension is recognised by its bytes', async () => {
    const dataset = await readDataset('download', await workbook());
    expect(dataset.format).toBe('xlsx');
    expect(dataset.table.rowCount).toBe(3);
  });

  test('an empty first sheet, a header-only sheet, a legacy .xls and a text file named .xlsx are refused', async () => {
    const empty = await writeExcelFile([
      { sheet: 'Blank', data: [[null, null]] },
      { sheet: 'Data', data: [['a'], [1]] },
    ]).toBuffer();
    expect(await failure('e.xlsx', empty)).toContain('e.xlsx: the first sheet of the workbook is empty');
    const headerOnly = await writeExcelFile([['a', 'b']]).toBuffer();
    expect(await failure('h.xlsx', headerOnly)).toContain('has a header row but no data rows');
    const ole2 = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);
    expect(await failure('old.xls', ole2)).toContain('old.xls is a legacy .xls workbook');
    expect(await failure('fake.xlsx', utf8('a,b\n1,2\n'))).toContain(
      'fake.xlsx is not a readable .xlsx workbook',
    );
  });
});

describe('datasetFileName', () => {
  test.each([
    ['Sales 2024.xlsx', 'sales_2024.csv'],
    ['../../etc/passwd', 'passwd.csv'],
    ['C:\\Users\\me\\Q3 report (final).CSV', 'q3_report_final.csv'],
    ['Café Crème.tsv', 'cafe_creme.csv'],
    ['Продажи.csv', 'data.csv'],
    ['.csv', 'data.csv'],
    ['', 'data.csv'],
    ['archive.tar.gz', 'archive_tar.csv'],
    [`${'x'.repeat(59)} y.csv`, `${'x'.repeat(59)}.csv`],
    [`${'ab'.repeat(40)}.csv`, `${'ab'.repeat(30)}.csv`],
  ])('%s → %s', (sourceName, fileName) => {
    expect(datasetFileName(sourceName)).toBe(fileName);
  });
});

describe('previewBlocks', () => {
  test('size and warnings, a line per column, and the first rows', async () => {
    const dataset = await readDataset(
      'p.csv',
      utf8('city,price,n,ok,empty\nOslo,2.5,3,true,\nRome,,1,,\nOslo,-1e10,2,false,\nBern,inf,4,true,\n\n'),
    );
    const [summary, columns, rows, ...rest] = previewBlocks(dataset, 2);
    expect(rest).toEqual([]);
    expect(summary).toEqual({
      kind: 'text',
      text: 'p.csv: 4 rows × 5 columns\nNote: blank lines skipped: 1',
    });
    expect(columns).toEqual({
      kind: 'table',
      title: 'Columns',
      columns: ['column', 'type', 'missing', 'values'],
      rows: [
        ['city', 'text', '0', '3 distinct'],
        ['price', 'number', '1', '-10000000000–∞'],
        ['n', 'integer', '0', '1–4'],
        ['ok', 'boolean', '1', '2 true, 1 false'],
        ['empty', 'number', '4', '—'],
      ],
    });
    expect(rows).toEqual({
      kind: 'table',
      title: 'First 2 rows',
      columns: ['city', 'price', 'n', 'ok', 'empty'],
      rows: [
        ['Oslo', '2.5', '3', 'true', '—'],
        ['Rome', '—', '1', '—', '—'],
      ],
    });
  });

  test('five rows by default, fewer when the table is shorter, none when asked for 0', async () => {
    const long = await readDataset('l.csv', utf8(`n\n${[1, 2, 3, 4, 5, 6, 7].join('\n')}\n`));
    expect(previewBlocks(long)[2]).toMatchObject({
      title: 'First 5 rows',
      rows: [['1'], ['2'], ['3'], ['4'], ['5']],
    });
    const short = await readDataset('s.csv', utf8('n\n1\n'));
    expect(previewBlocks(short)[0]).toEqual({ kind: 'text', text: 's.csv: 1 row × 1 column' });
    expect(previewBlocks(short)[2]).toMatchObject({ title: 'First row', rows: [['1']] });
    expect(previewBlocks(short, 0)).toHaveLength(2);
  });
});
