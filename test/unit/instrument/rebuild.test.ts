/** Step 6: rebuilding a file from edits by byte range. */
import { describe, expect, it } from 'vitest';
import {
  applyEdits,
  editInComment,
  lineEnding,
  matchesEdits,
  withLineEnding,
} from '../../../src/workflows/instrument/rebuild.js';
import { SourceMap } from '../../../src/workflows/instrument/model.js';

describe('rebuild', () => {
  it('applies edits bottom-up by byte range, keeping list order at one offset, and reports the inserted ranges', () => {
    const original = Buffer.from('aé{b}c');
    // bytes: a=0 é=1,2 {=3 b=4 }=5 c=6
    const result = applyEdits(original, [
      { at: 5, delete: 0, insert: 'X' },
      { at: 4, delete: 0, insert: 'P' },
      { at: 4, delete: 0, insert: 'Q' },
      { at: 6, delete: 1, insert: 'ç' },
    ]);
    expect(result.text).toBe('aé{PQbX}ç');
    expect(result.ranges).toEqual([
      { at: 4, length: 1, deleted: '' },
      { at: 5, length: 1, deleted: '' },
      { at: 7, length: 1, deleted: '' },
      { at: 9, length: 2, deleted: 'c' },
    ]);
  });

  it('refuses overlapping edits and edits past the end', () => {
    expect(() =>
      applyEdits(Buffer.from('abcdef'), [
        { at: 1, delete: 3, insert: '' },
        { at: 2, delete: 0, insert: 'x' },
      ]),
    ).toThrow(/overlapping/);
    expect(() => applyEdits(Buffer.from('ab'), [{ at: 1, delete: 5, insert: '' }])).toThrow(/past the end/);
  });

  it('keeps line endings: inserted newlines follow the file', () => {
    expect(lineEnding('a\r\nb\r\nc\n')).toBe('\r\n');
    expect(lineEnding('a\nb\r\n')).toBe('\n');
    expect(withLineEnding('x\ny\r\n', '\r\n')).toBe('x\r\ny\r\n');
    expect(withLineEnding('x\ny', '\n')).toBe('x\ny');
  });

  it('never lets an edit land inside a comment (a line comment owns its end)', () => {
    const map = new SourceMap('x = 1  # note\ny = 2\n/* c */');
    const line = { span: map.span(7, 13), line: true };
    const block = { span: map.span(20, 27), line: false };
    expect(editInComment([{ at: 7, delete: 0, insert: 'a' }], [line])).toBeUndefined();
    expect(editInComment([{ at: 9, delete: 0, insert: 'a' }], [line])).toBeDefined();
    expect(editInComment([{ at: 13, delete: 0, insert: 'a' }], [line])).toBeDefined();
    expect(editInComment([{ at: 27, delete: 0, insert: 'a' }], [block])).toBeUndefined();
    expect(editInComment([{ at: 18, delete: 3, insert: '' }], [block])).toBeDefined();
  });

  it('accepts a sandbox result only when it is exactly the requested edits', () => {
    const edits = [{ at: 1, delete: 0, insert: '!' }];
    expect(matchesEdits('ab', edits, 'a!b')).toBe(true);
    expect(matchesEdits('ab', edits, 'a!b;rm -rf')).toBe(false);
  });

  it('maps string indices to UTF-8 byte positions with 1-based lines', () => {
    const map = new SourceMap('é\n😀x');
    expect(map.position(0)).toEqual({ byte: 0, line: 1, column: 0 });
    expect(map.position(2)).toEqual({ byte: 3, line: 2, column: 0 });
    expect(map.position(4)).toEqual({ byte: 7, line: 2, column: 4 });
  });
});
