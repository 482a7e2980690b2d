/** Names for the chat's library answers: close names for a typo, and a library task from a request. */
import { describe, expect, test } from 'vitest';
import { closeNames, editDistance } from '../../src/workflows/chat/close-names.js';
import { taskFromRequest } from '../../src/workflows/chat/llm-turn.js';
import { isScriptName } from '../../src/library/index.js';

const LIBRARY = [
  'chat_count_rows_001.py',
  'stats_correlation_001.py',
  'stats_descriptive_001.py',
  'stats_descriptive_002.py',
  'stats_histogram_001.py',
];

describe('close names', () => {
  test('edit distance counts insertions, deletions and substitutions', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  test('a typo finds the name it was meant as, nearest first', () => {
    expect(closeNames('stats_descriptive_01.py', LIBRARY)).toEqual([
      'stats_descriptive_001.py',
      'stats_descriptive_002.py',
    ]);
    expect(closeNames('stats_histogramm_001.py', LIBRARY)).toEqual(['stats_histogram_001.py']);
  });

  test('a part of a name finds every name containing it, before names that are merely near', () => {
    expect(closeNames('Descriptive', LIBRARY)).toEqual([
      'stats_descriptive_001.py',
      'stats_descriptive_002.py',
    ]);
    expect(closeNames('stats_', LIBRARY, 2)).toHaveLength(2);
  });

  test('nothing close: nothing suggested', () => {
    expect(closeNames('ml_forest_001.py', LIBRARY)).toEqual([]);
    expect(closeNames('', LIBRARY)).toEqual([]);
  });
});

describe('the task of a library name made from a request', () => {
  test.each([
    ['count the rows per district', 'count_rows_per_district'],
    ['Plot price by year, then save it', 'plot_price_year_then'],
    ['2024 sales: top 10 customers', 'sales_top_customers'],
    ['¿qué? 42!', 'qu'],
    ['!!! 42 ???', 'script'],
  ])('%j → %s', (request, task) => {
    expect(taskFromRequest(request)).toBe(task);
    expect(isScriptName(`chat_${taskFromRequest(request)}_001.py`)).toBe(true);
  });

  test('at most 64 characters, and still a valid name', () => {
    const task = taskFromRequest('supercalifragilisticexpialidocious '.repeat(4));
    expect(task.length).toBeLessThanOrEqual(64);
    expect(isScriptName(`chat_${task}_001.py`)).toBe(true);
  });
});
