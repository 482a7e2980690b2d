/**
 * The RFC 4180 parser and the delimiter sniffer of the dataset reader: quoting, line ends, line numbers in
 * errors, ragged rows and blank lines.
 */
import { describe, expect, test } from 'vitest';
import { InvalidDatasetError } from '../../src/errors.js';
import { parseCsv, sniffDelimiter } from '../../src/workflows/analysis/dataset-csv.js';

function parseError(text: string): string {
  try {
    parseCsv('f.csv', text, ',');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidDatasetError);
    return (err as Error).message;
  }
  return expect.fail('parsed without an error');
}

describe('parseCsv', () => {
  test('quoted fields: delimiters, doubled quotes, newlines inside quotes, empty quoted fields', () => {
    const text = 'name,note\n"Smith, J.","said ""hi""\nand left"\n"",x\n';
    expect(parseCsv('f.csv', text, ',')).toEqual({
      header: ['name', 'note'],
      rows: [
        ['Smith, J.', 'said "hi"\nand left'],
        ['', 'x'],
      ],
      skippedBlankLines: 0,
    });
  });

  test('CRLF, LF and CR line ends are all line ends, a CRLF inside quotes is kept', () => {
    const parsed = parseCsv('f.csv', 'a,b\r\n1,"x\r\ny"\r2,z\n3,w', ',');
    expect(parsed.rows).toEqual([
      ['1', 'x\r\ny'],
      ['2', 'z'],
      ['3', 'w'],
    ]);
  });

  test('a quote inside an unquoted field is text, and empty trailing fields count', () => {
    expect(parseCsv('f.csv', 'size,x,y\n5" pipe,,\n', ',').rows).toEqual([['5" pipe', '', '']]);
  });

  test('blank and whitespace-only lines are skipped and counted; a line of empty fields is a row', () => {
    const parsed = parseCsv('f.csv', 'a,b\n\n1,2\n   \n,\n\n\n', ',');
    expect(parsed.rows).toEqual([
      ['1', '2'],
      ['', ''],
    ]);
    expect(parsed.skippedBlankLines).toBe(4);
  });

  test('a quoted empty line is a missing value in a one-column file, not a blank line', () => {
    expect(parseCsv('f.csv', 'a\n1\n""\n2\n', ',').rows).toEqual([['1'], [''], ['2']]);
  });

  test('ragged rows name the first bad line (counting lines inside quotes), its fields and the header', () => {
    const message = parseError('a,b,c,d\n1,2,3,4\n"multi\nline",2,3,4\n1,2,3,4\n5,6,7,8\n1,2,3,4,5\n1,2\n');
    expect(message).toContain('line 7 has 5 fields, the header has 4');
    expect(parseError('a,b\n1\n')).toContain('line 2 has 1 field, the header has 2');
  });

  test('an unterminated quote names the line where it opened', () => {
    expect(parseError('a,b\n1,2\n3,"oops\n4,5\n6,7\n')).toContain(
      'the quote opened on line 3 is never closed',
    );
  });

  test('text right after a closing quote is an error naming the line', () => {
    expect(parseError('a,b\n1,"2\n"x\n')).toContain('line 3 has text right after a closing quote');
  });

  test('a text with only blank lines has no columns', () => {
    expect(parseError('\n \r\n')).toContain('has no columns');
  });

  test('tab and semicolon delimiters, with quotes', () => {
    expect(parseCsv('f.tsv', 'a\tb\n"x\ty"\t2\n', '\t').rows).toEqual([['x\ty', '2']]);
    expect(parseCsv('f.csv', 'a;b\n"1;5";2,5\n', ';').rows).toEqual([['1;5', '2,5']]);
  });
});

describe('sniffDelimiter', () => {
  test('picks the delimiter the header uses most, ignoring quoted ones and later lines', () => {
    expect(sniffDelimiter('a;b;c\n1,5;2,5;3\n')).toBe(';');
    expect(sniffDelimiter('a\tb\n1,2,3,4\n')).toBe('\t');
    expect(sniffDelimiter('"x;y;z",b\n1;2;3;4\n')).toBe(',');
    expect(sniffDelimiter('"a\nb;c;d",e\n')).toBe(',');
  });

  test('a header without any delimiter is one comma-separated column; ties go to comma', () => {
    expect(sniffDelimiter('price\n1;2\n')).toBe(',');
    expect(sniffDelimiter('a,b;c\n')).toBe(',');
  });
});
