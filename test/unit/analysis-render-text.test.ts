/** Blocks as terminal text: aligned tables (numbers right, text left), cut to a width, blank lines between. */
import { describe, expect, test } from 'vitest';
import { renderBlocksAsText } from '../../src/workflows/analysis/render-text.js';

describe('renderBlocksAsText', () => {
  test('a titled table: header, rule, numbers right-aligned, text left-aligned, no trailing spaces', () => {
    const text = renderBlocksAsText([
      {
        kind: 'table',
        title: 'Prices',
        columns: ['district', 'mean', 'n'],
        rows: [
          ['north', '3900.5', '12'],
          ['riverside', '-12', '7'],
          ['centre', '—', '103'],
        ],
      },
    ]);
    expect(text).toBe(
      [
        'Prices',
        'district     mean    n',
        '---------  ------  ---',
        'north      3900.5   12',
        'riverside     -12    7',
        'centre          —  103',
        '',
      ].join('\n'),
    );
  });

  test('text blocks as they are, blocks separated by one blank line, ending with a newline', () => {
    expect(
      renderBlocksAsText([
        { kind: 'text', text: 'first\nsecond line' },
        { kind: 'table', columns: ['a'], rows: [['x']] },
        { kind: 'text', text: 'ran in 41 ms' },
      ]),
    ).toBe('first\nsecond line\n\na\n-\nx\n\nran in 41 ms\n');
  });

  test('no blocks: nothing', () => {
    expect(renderBlocksAsText([])).toBe('');
  });

  test('a column is numeric only when every cell is a number: mixed columns stay left-aligned', () => {
    const text = renderBlocksAsText([{ kind: 'table', columns: ['v'], rows: [['10'], ['abc'], ['2.5e-3']] }]);
    expect(text).toBe('v\n------\n10\nabc\n2.5e-3\n');
  });

  test('too wide: the widest column is cut with … so the table fits the width', () => {
    const long = 'a very long description that goes on and on';
    const text = renderBlocksAsText(
      [{ kind: 'table', columns: ['name', 'description'], rows: [['x_y_001.py', long]] }],
      30,
    );
    const lines = text.trimEnd().split('\n');
    expect(lines.map((line) => [...line].length).every((length) => length <= 30)).toBe(true);
    expect(lines[2]).toBe('x_y_001.py  a very long descr…');
  });

  test('a table that cannot fit even with every column at the minimum is printed wider, not dropped', () => {
    const columns = Array.from({ length: 6 }, (_, index) => `column${index}`);
    const text = renderBlocksAsText([{ kind: 'table', columns, rows: [columns.map(() => '123456789')] }], 20);
    const [header, , row] = text.split('\n');
    expect(header?.split(/\s+/)).toHaveLength(6);
    expect(row).toBe(Array.from({ length: 6 }, () => '12345…').join('  '));
  });

  test('cells with newlines are kept on one line; a short row is padded', () => {
    const text = renderBlocksAsText([{ kind: 'table', columns: ['a', 'b'], rows: [['x\ny'], ['1', '2']] }]);
    expect(text).toBe('a    b\n---  -\nx y\n1    2\n');
  });
});
