import { describe, expect, it } from 'vitest';
import { parseRecords } from '../../../src/workflows/extract/records.js';

describe('parseRecords', () => {
  it('reads a JSON array of objects', () => {
    expect(parseRecords('[{"a": 1}, {"a": 2, "b": "x"}]\n')).toEqual({
      ok: true,
      records: [{ a: 1 }, { a: 2, b: 'x' }],
    });
  });

  it('reads one object per line, blank lines skipped', () => {
    expect(parseRecords('{"a": 1}\n\n{"a": 2}\n')).toEqual({ ok: true, records: [{ a: 1 }, { a: 2 }] });
  });

  it('reads one pretty-printed object as one record', () => {
    expect(parseRecords('{\n  "a": 1,\n  "b": [1, 2]\n}\n')).toEqual({
      ok: true,
      records: [{ a: 1, b: [1, 2] }],
    });
  });

  it('reads an empty array as no records', () => {
    expect(parseRecords('[]')).toEqual({ ok: true, records: [] });
  });

  it('says that nothing was printed', () => {
    const parsed = parseRecords('  \n');
    expect(parsed).toMatchObject({ ok: false });
    expect(!parsed.ok && parsed.message).toMatch(
      /^the script printed nothing; print a JSON array .*\(\[\] for no records\)$/,
    );
  });

  it('says where a JSON array breaks', () => {
    const parsed = parseRecords('[{"a": 1},\n {"a": }]');
    expect(!parsed.ok && parsed.message).toMatch(/not valid JSON at line 2 column 8/);
  });

  it('names the array item that is not an object', () => {
    const parsed = parseRecords('[{"a": 1}, 2]');
    expect(!parsed.ok && parsed.message).toMatch(/^item 1 of the printed array is a number, not an object/);
  });

  it('names the line that is not JSON, with an excerpt', () => {
    const parsed = parseRecords('{"a": 1}\nDone scraping 3 items\n');
    expect(!parsed.ok && parsed.message).toMatch(
      /^line 2 of the output is not JSON \(.*\): "Done scraping 3 items";/,
    );
  });

  it('names the line that is JSON but not an object', () => {
    const parsed = parseRecords('{"a": 1}\n"text"\n');
    expect(!parsed.ok && parsed.message).toMatch(
      /^line 2 of the output is a string, not an object: "\\"text\\""/,
    );
  });

  it('escapes control characters in the excerpt it quotes', () => {
    const parsed = parseRecords('\u001b]52;c;AAAA\u0007 bad\n');
    expect(!parsed.ok && parsed.message).not.toContain('\u001b');
    expect(!parsed.ok && parsed.message).toContain('\\u001b');
  });
});
