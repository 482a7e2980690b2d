import { describe, expect, it } from 'vitest';
import { formatExtraction, formatRecordTable } from '../../../src/workflows/extract/format.js';
import type { ExtractionResult, SourceResult } from '../../../src/workflows/extract/result.js';

const metadata = {
  durationMs: 120,
  cpuMs: 80,
  bytesIn: 2100,
  bytesOut: 310,
  requests: 1,
  statuses: [200],
  refused: [],
  recordCount: 2,
};

function source(index: number, over: Partial<SourceResult>): SourceResult {
  return {
    index,
    url: `https://shop${index}.example/list`,
    source: { url: `https://shop${index}.example/list` },
    ok: true,
    records: [],
    error: null,
    metadata,
    stderr: '',
    ...over,
  };
}

const result: ExtractionResult = {
  ok: false,
  language: 'python',
  sources: [
    source(0, {
      records: [
        { title: 'Widget', price: 9.5 },
        { title: 'x'.repeat(100), price: 12, tags: ['a'] },
      ],
    }),
    source(1, {
      ok: false,
      error: {
        kind: 'output',
        message: 'line 2 of the output is not JSON: "Done\\u001b[2J"',
        hint: 'print a JSON array of objects',
        runKind: null,
      },
      metadata: { ...metadata, recordCount: 0, statuses: [200, 404] },
    }),
  ],
  summary: { sources: 2, succeeded: 1, failed: 1, records: 2, durationMs: 300, byKind: { ok: 1, output: 1 } },
};

describe('formatExtraction', () => {
  const text = formatExtraction(result);

  it('starts with the summary header', () => {
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Extraction: 2 sources · 1 ok · 1 failed · 2 records · 300 ms (python)',
      '  ok 1 · output 1',
    ]);
  });

  it('groups records by source as an aligned table, long values cut', () => {
    const lines = text.split('\n');
    const at = lines.indexOf('── [0] https://shop0.example/list');
    expect(lines.slice(at + 1, at + 6)).toEqual([
      '   ok · 2 records · 120 ms · 1 request · 2.1 kB in · 310 B out · HTTP 200',
      '   title                                     price  tags',
      '   ----------------------------------------  -----  -----',
      '   Widget                                    9.5',
      `   ${'x'.repeat(39)}…  12     ["a"]`,
    ]);
  });

  it("shows a failed source's metadata and lists the errors last with what to do", () => {
    expect(text).toContain('── [1] https://shop1.example/list\n   failed (output) · 0 records · 120 ms');
    expect(text).toContain('HTTP 200, 404');
    expect(text.trimEnd().split('\n').slice(-4)).toEqual([
      'Errors (1):',
      '  [1] https://shop1.example/list',
      '      output: line 2 of the output is not JSON: "Done\\u001b[2J"',
      '      what to do: print a JSON array of objects',
    ]);
  });
});

describe('formatRecordTable', () => {
  it('escapes control characters and newlines in values and keys', () => {
    const lines = formatRecordTable([{ 'k\u001b': 'a\nb\u009b' }]);
    expect(lines.join('\n')).not.toContain('\u001b');
    expect(lines.join('\n')).not.toContain('\u009b');
    expect(lines[2]).toBe('a\\x0ab\\u009b');
    expect(lines[0]).toBe('k\\x1b');
  });

  it('counts the rows and columns it leaves out', () => {
    const records = Array.from({ length: 5 }, (_, i) => ({ a: i, b: i, c: i }));
    const lines = formatRecordTable(records, { maxRows: 2, maxColumns: 2 });
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('… 3 more records, 1 more columns (the JSON output has them all)');
  });

  it('says when there are no records', () => {
    expect(formatRecordTable([])).toEqual(['(no records)']);
  });
});
