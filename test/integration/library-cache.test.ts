/** The generation cache: hits, misses, stats by language, clear, and the adapter generators use. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { libraryCache, openLibrary, type Library } from '../../src/library/index.js';

let home: string;
let lib: Library;
let tick = 0;
const now = (): Date => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++));

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-lib-cache-'));
  tick = 0;
  lib = openLibrary({ home, now, who: 'ann' });
});
afterEach(() => {
  lib.close();
  rmSync(home, { recursive: true, force: true });
});

const PY = 'print("é")\n'; // 12 bytes in UTF-8, 11 characters

describe('cache', () => {
  test('a lookup that finds nothing is a miss; one that finds the entry is a hit', () => {
    expect(lib.cacheGet('k1')).toBeUndefined();
    lib.cachePut('k1', {
      language: 'python',
      source: PY,
      generator: 'template',
      meta: { template: 'stats/x' },
    });
    const hit = lib.cacheGet('k1');
    expect(hit).toEqual({
      key: 'k1',
      language: 'python',
      source: PY,
      generator: 'template',
      meta: { template: 'stats/x' },
      bytes: 12,
      createdAt: '2025-01-01T00:00:01.000Z',
      hits: 1,
      lastHit: '2025-01-01T00:00:02.000Z',
    });
    expect(lib.cacheGet('k1')?.hits).toBe(2);
    expect(lib.cacheGet('k2')).toBeUndefined();
    expect(lib.cacheStats()).toEqual({
      entries: 1,
      hits: 2,
      misses: 2,
      bytes: 12,
      byLanguage: { python: { entries: 1, bytes: 12 } },
    });
  });

  test('stats by language; a put over a key replaces the script and keeps its hits', () => {
    lib.cachePut('a', { language: 'python', source: PY });
    lib.cachePut('b', { language: 'python', source: 'x = 1\n' });
    lib.cachePut('c', { language: 'javascript', source: 'console.log(1)\n', generator: 'llm' });
    lib.cacheGet('a');
    lib.cachePut('a', { language: 'python', source: 'y = 2\n' });
    expect(lib.cacheGet('a')).toMatchObject({ source: 'y = 2\n', hits: 2, bytes: 6, generator: null });
    expect(lib.cacheStats()).toEqual({
      entries: 3,
      hits: 2,
      misses: 0,
      bytes: 6 + 6 + 15,
      byLanguage: { javascript: { entries: 1, bytes: 15 }, python: { entries: 2, bytes: 12 } },
    });
  });

  test('clear empties it, resets the counters, is audited, and leaves library scripts alone', () => {
    lib.save({ category: 'math', task: 'addition', language: 'python', source: 'print(1)\n' });
    lib.cachePut('a', { language: 'python', source: PY });
    lib.cacheGet('a');
    lib.cacheGet('zz');
    expect(lib.cacheClear({ who: 'bob' })).toEqual({ entries: 1, bytes: 12, memoEntries: 0 });
    expect(lib.cacheStats()).toEqual({ entries: 0, hits: 0, misses: 0, bytes: 0, byLanguage: {} });
    expect(lib.cacheGet('a')).toBeUndefined();
    expect(lib.audit({ limit: 1 })[0]).toMatchObject({
      action: 'cache.clear',
      target: 'cache',
      who: 'bob',
      details: { entries: 1, bytes: 12 },
    });
    expect(lib.list().map((script) => script.name)).toEqual(['math_addition_001.py']);
  });

  test('entries and counters survive reopening', () => {
    lib.cachePut('a', { language: 'bash', source: 'echo 1\n' });
    lib.cacheGet('a');
    lib.cacheGet('b');
    lib.close();
    lib = openLibrary({ home });
    expect(lib.cacheStats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
    expect(lib.cacheGet('a')?.source).toBe('echo 1\n');
  });

  test.each([
    ['an empty key', () => lib.cacheGet('')],
    ['a NUL in the key', () => lib.cachePut('a\0b', { language: 'python', source: 'x' })],
    ['an uppercase language', () => lib.cachePut('a', { language: 'Python', source: 'x' })],
    [
      'an unknown generator',
      () => lib.cachePut('a', { language: 'python', source: 'x', generator: 'gpt' as 'llm' }),
    ],
  ])('refuses %s', (_what, call) => {
    expect(call).toThrow(InvalidOptionsError);
    expect(lib.cacheStats()).toEqual({ entries: 0, hits: 0, misses: 0, bytes: 0, byLanguage: {} });
  });
});

describe('libraryCache: the GenerationCache adapter', () => {
  test('get/set with hits and misses counted; the language and generator when given', () => {
    const cache = libraryCache(lib);
    expect(cache.get('h1')).toBeUndefined();
    cache.set('h1', 'print(1)\n');
    cache.set('h2', 'echo 2\n', { language: 'bash', generator: 'llm', meta: { model: 'm' } });
    expect(cache.get('h1')).toBe('print(1)\n');
    expect(cache.get('h2')).toBe('echo 2\n');
    expect(lib.cacheGet('h2')).toMatchObject({ language: 'bash', generator: 'llm', meta: { model: 'm' } });
    expect(lib.cacheStats()).toMatchObject({
      entries: 2,
      hits: 3,
      misses: 1,
      byLanguage: { unknown: { entries: 1, bytes: 9 }, bash: { entries: 1, bytes: 7 } },
    });
  });
});
