/** Library search: FTS5 over name, description, tags and source, ranked, and safe from FTS syntax. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openLibrary, type Library } from '../../src/library/index.js';

let home: string;
let lib: Library;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-lib-search-'));
  lib = openLibrary({ home, who: 'ann' });
  lib.save({
    category: 'text',
    task: 'wordcount',
    language: 'python',
    source: 'import sys\nprint(len(sys.stdin.read().split()))\n',
    description: 'count the words of a text',
    tags: ['text'],
  });
  lib.save({
    category: 'data',
    task: 'summary',
    language: 'python',
    source: '# unlike wordcount, wordcount or wordcount this reads a table\nimport pandas\n',
    description: 'describe a table',
    tags: ['csv', 'stats'],
  });
  lib.save({
    category: 'data',
    task: 'alpha',
    language: 'bash',
    source: 'echo alpha\n',
    description: 'prints alpha',
  });
  lib.save({
    category: 'data',
    task: 'beta',
    language: 'bash',
    source: 'echo beta\n',
    description: 'beta',
  });
});
afterEach(() => {
  lib.close();
  rmSync(home, { recursive: true, force: true });
});

const names = (query: string): string[] => lib.search(query).map((hit) => hit.name);

test('ranks a name match over a source match', () => {
  expect(names('wordcount')).toEqual(['text_wordcount_001.py', 'data_summary_001.py']);
});

test('ranks a description match over a source match', () => {
  const hits = lib.search('table');
  expect(hits.map((hit) => hit.name)).toEqual(['data_summary_001.py']);
  expect(names('words')).toEqual(['text_wordcount_001.py']);
  expect(names('count')).toEqual(['text_wordcount_001.py']);
});

test('matches tags and word prefixes, all words required, with a snippet', () => {
  expect(names('csv')).toEqual(['data_summary_001.py']);
  expect(names('stat')).toEqual(['data_summary_001.py']);
  expect(names('alpha beta')).toEqual([]);
  const [hit] = lib.search('pandas');
  expect(hit?.snippet).toContain('[pandas]');
  expect(hit?.score).toBeGreaterThan(0);
});

test('follows updates and deletes', () => {
  expect(names('pandas')).toEqual(['data_summary_001.py']);
  lib.update('data_summary_001.py', { source: 'import polars\n' });
  expect(names('polars')).toEqual(['data_summary_001.py']);
  expect(names('pandas')).toEqual([]);
  lib.delete('data_beta_001.sh');
  expect(names('beta')).toEqual([]);
});

test.each([
  ['alpha OR beta', []],
  ['-alpha', ['data_alpha_001.sh']],
  ['alpha NOT beta', []],
  ['NEAR(alpha beta)', []],
  ['description:alpha', []],
  ['"alpha', ['data_alpha_001.sh']],
  ['alpha*', ['data_alpha_001.sh']],
  ['^alpha', ['data_alpha_001.sh']],
  ['((', []],
  ['"', []],
  ['*', []],
  ["'; DROP TABLE scripts; --", []],
])('user text cannot inject FTS syntax: %s', (query, expected) => {
  expect(names(query)).toEqual(expected);
  expect(lib.list()).toHaveLength(4);
});

test('limit', () => {
  expect(lib.search('data', { limit: 2 })).toHaveLength(2);
});
