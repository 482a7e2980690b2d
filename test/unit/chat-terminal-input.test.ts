/** The terminal chat's lines joined into messages: one line each, a ``` fence held open until it closes. */
import { describe, expect, test } from 'vitest';
import { MessageJoiner } from '../../src/faces/cli/terminal-input.js';

describe('message joiner', () => {
  test('each line is a message of its own', () => {
    const joiner = new MessageJoiner();
    expect(['/help', 'histogram of price', ''].map((line) => joiner.push(line))).toEqual([
      '/help',
      'histogram of price',
      '',
    ]);
    expect(joiner.rest()).toBeNull();
  });

  test('a line opening a fence continues until a line closes it', () => {
    const joiner = new MessageJoiner();
    const lines = ['update code x_y_001.py to ```python', 'import json', '', 'print(1)', '```', 'next'];
    expect(lines.map((line) => joiner.push(line))).toEqual([
      null,
      null,
      null,
      null,
      'update code x_y_001.py to ```python\nimport json\n\nprint(1)\n```',
      'next',
    ]);
  });

  test('a fence opened and closed on one line is one message', () => {
    expect(new MessageJoiner().push('update code x_y_001.py to ```print(1)```')).toBe(
      'update code x_y_001.py to ```print(1)```',
    );
  });

  test('a fence never closed is handed over at the end of input', () => {
    const joiner = new MessageJoiner();
    joiner.push('```python');
    joiner.push('print(2)');
    expect(joiner.rest()).toBe('```python\nprint(2)');
    expect(joiner.rest()).toBeNull();
  });
});
