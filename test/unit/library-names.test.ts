import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { resolveHome } from '../../src/config.js';
import { InvalidOptionsError } from '../../src/errors.js';
import { toFtsQuery } from '../../src/library/fts-query.js';
import { formatScriptName, isScriptName, parseScriptName } from '../../src/library/names.js';

describe('script names: category_task_NNN.ext', () => {
  test.each([
    ['math_addition_001.py', { category: 'math', task: 'addition', number: 1, language: 'python' }],
    [
      'stats_train_classifier_012.py',
      { category: 'stats', task: 'train_classifier', number: 12, language: 'python' },
    ],
    ['web2_fetch_999.js', { category: 'web2', task: 'fetch', number: 999, language: 'javascript' }],
    ['x_top_10_1000.ts', { category: 'x', task: 'top_10', number: 1000, language: 'typescript' }],
    ['ops_backup_001_042.sh', { category: 'ops', task: 'backup_001', number: 42, language: 'bash' }],
  ])('%s is valid', (name, parts) => {
    expect(parseScriptName(name)).toEqual({ ...parts, name });
    expect(formatScriptName(parts as Parameters<typeof formatScriptName>[0])).toBe(name);
    expect(isScriptName(name)).toBe(true);
  });

  test.each([
    ['empty', '', /it is empty/],
    ['a parent path', '../math_addition_001.py', /it looks like a path/],
    ['a path inside', 'math/addition_001.py', /it looks like a path/],
    ['an absolute path', '/etc/math_addition_001.py', /it looks like a path/],
    ['a trailing slash', 'math_addition_001.py/', /it looks like a path/],
    ['dot dot in the name', 'math_addition_001..py', /it looks like a path/],
    ['a backslash', 'math\\addition_001.py', /it looks like a path/],
    ['NUL', 'math_addition_001.py\0.sh', /NUL/],
    ['a space', 'math_addition_001 .py', /whitespace/],
    ['a newline', 'math_addition_001.py\n', /whitespace/],
    ['a tab', '\tmath_addition_001.py', /whitespace/],
    ['a short number', 'math_addition_1.py', /not of that form/],
    ['no number', 'math_addition.py', /not of that form/],
    ['no task', 'math_001.py', /not of that form/],
    ['no extension', 'math_addition_001', /not of that form/],
    ['an unknown extension', 'math_addition_001.rb', /not of that form/],
    ['an uppercase extension', 'math_addition_001.PY', /not of that form/],
    ['a double extension', 'math_addition_001.py.py', /not of that form/],
    ['uppercase', 'Math_addition_001.py', /not of that form/],
    ['a double underscore', 'math__addition_001.py', /not of that form/],
    ['an underscore before the number', 'math_addition__001.py', /not of that form/],
    ['a leading underscore', '_math_addition_001.py', /not of that form/],
    ['a task starting with a digit', 'math_1addition_001.py', /not of that form/],
    ['a hyphen', 'math-addition_001.py', /not of that form/],
    ['a negative number', 'math_addition_-01.py', /not of that form/],
    ['a Cyrillic lookalike', 'math_additіon_001.py', /not of that form/],
    ['a non-ASCII letter', 'mäth_addition_001.py', /not of that form/],
    ['URL-encoded dots', '%2e%2e_addition_001.py', /not of that form/],
    ['number zero', 'math_addition_000.py', /out of range/],
    ['too much zero padding', 'math_addition_0001.py', /not written canonically \(math_addition_001\.py\)/],
    ['a huge number', 'math_addition_9999999999.py', /out of range/],
    ['a long category', `${'c'.repeat(33)}_addition_001.py`, /too long/],
  ])('refuses %s', (_what, name, why) => {
    expect(isScriptName(name)).toBe(false);
    let error: unknown;
    try {
      parseScriptName(name);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    const message = (error as Error).message;
    expect(message).toMatch(why);
    expect(message).toContain('expected category_task_NNN.ext, e.g. math_addition_001.py');
    expect(message).toContain(JSON.stringify(name));
  });
});

describe('search text to a safe FTS5 query', () => {
  test.each([
    ['two words', 'count words', '"count"* "words"*'],
    ['a double quote', 'say "hi', '"say"* """hi"*'],
    ['operators are words', 'a OR b NOT c', '"a"* "OR"* "b"* "NOT"* "c"*'],
    ['NEAR and parentheses', 'NEAR(a b)', '"NEAR(a"* "b)"*'],
    ['a leading minus', '-foo', '"-foo"*'],
    ['a column filter', 'name:foo', '"name:foo"*'],
    ['a star', 'foo*', '"foo*"*'],
    ['punctuation only', '" * - ( ^', null],
    ['blank', '   ', null],
  ])('%s', (_what, text, query) => {
    expect(toFtsQuery(text)).toBe(query);
  });

  test('caps the number and length of terms', () => {
    const query = toFtsQuery(`${'x'.repeat(100)} ${'w '.repeat(40)}`) ?? '';
    expect(query.split(' ')).toHaveLength(16);
    expect(query.startsWith(`"${'x'.repeat(64)}"*`)).toBe(true);
  });
});

describe('the data directory', () => {
  test('option > SCRIPTBOX_HOME > ~/.scriptbox, made absolute', () => {
    const env = { sandbox: {}, limits: {}, interpreters: {} };
    expect(resolveHome('/opt/a', { ...env, home: '/opt/b' })).toBe('/opt/a');
    expect(resolveHome(undefined, { ...env, home: '/opt/b' })).toBe('/opt/b');
    expect(resolveHome(undefined, env)).toBe(join(homedir(), '.scriptbox'));
    expect(resolveHome('rel/dir', env)).toBe(resolve('rel/dir'));
  });
});
