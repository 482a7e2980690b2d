/**
 * The library's memo (memo.ts, schema V5): values by namespace and key, read many at once, written in one
 * transaction, replaced on a second put, emptied by `cache clear`; a version 4 library migrates to it and
 * keeps its cache.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/library/schema.js';

let dir: string;
let home: string;
let lib: Library;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-library-memo-'));
  home = join(dir, 'home');
  lib = openLibrary({ home, who: 'alice' });
});
afterEach(() => {
  lib.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('memo', () => {
  test('stores JSON values by namespace and key; reads many at once; a second put replaces', () => {
    const value = { analysis: { functions: [{ name: 'f', span: [1, 2] }] }, ok: true, text: 'é\n' };
    lib.memoPutMany('instrument-analysis', [
      { key: 'k1', value },
      { key: 'k2', value: [1, 'two', null] },
    ]);
    lib.memoPutMany('other', [{ key: 'k1', value: 'elsewhere' }]);
    const found = lib.memoGetMany('instrument-analysis', ['k1', 'k2', 'k3', 'k1']);
    expect([...found.keys()].sort()).toEqual(['k1', 'k2']);
    expect(found.get('k1')).toEqual(value);
    expect(found.get('k2')).toEqual([1, 'two', null]);
    expect(lib.memoGetMany('other', ['k1', 'k2'])).toEqual(new Map([['k1', 'elsewhere']]));

    lib.memoPutMany('other', [{ key: 'k1', value: { replaced: true } }]);
    expect(lib.memoGetMany('other', ['k1']).get('k1')).toEqual({ replaced: true });
    expect(lib.memoGetMany('other', []).size).toBe(0);
  });

  test('survives reopening; `cache clear` empties it with the cache, and says how much', () => {
    lib.memoPutMany('instrument-analysis', [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    lib.cachePut('s', { language: 'python', source: 'x = 1\n' });
    lib.close();
    lib = openLibrary({ home });
    expect(lib.memoGetMany('instrument-analysis', ['a', 'b']).size).toBe(2);
    expect(lib.cacheClear()).toEqual({ entries: 1, bytes: 6, memoEntries: 2 });
    expect(lib.memoGetMany('instrument-analysis', ['a', 'b']).size).toBe(0);
    expect(lib.audit({ limit: 1 })[0]).toMatchObject({
      action: 'cache.clear',
      details: { entries: 1, bytes: 6, memoEntries: 2 },
    });
  });

  test.each([
    ['an uppercase namespace', () => lib.memoGetMany('Analysis', ['k'])],
    ['an empty namespace', () => lib.memoPutMany('', [{ key: 'k', value: 1 }])],
    ['an empty key', () => lib.memoGetMany('ns', [''])],
    ['a NUL in a key', () => lib.memoPutMany('ns', [{ key: 'a\0b', value: 1 }])],
    ['a value that is not JSON', () => lib.memoPutMany('ns', [{ key: 'k', value: undefined }])],
  ])('refuses %s, storing nothing', (_what, call) => {
    expect(call).toThrow(InvalidOptionsError);
    expect(lib.memoGetMany('ns', ['k']).size).toBe(0);
  });

  test('keep bounds a namespace to its newest entries, leaving other namespaces alone', () => {
    let clock = Date.parse('2025-01-01T00:00:00.000Z');
    lib.close();
    lib = openLibrary({ home, now: () => new Date((clock += 1000)) });
    lib.memoPutMany('other', [{ key: 'o', value: 0 }]);
    lib.memoPutMany('ns', [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    lib.memoPutMany('ns', [{ key: 'c', value: 3 }], { keep: 2 });
    expect([...lib.memoGetMany('ns', ['a', 'b', 'c']).keys()].sort()).toEqual(['b', 'c']);
    lib.memoPutMany('ns', [{ key: 'b', value: 22 }]); // replaced: now the newest
    lib.memoPutMany('ns', [{ key: 'd', value: 4 }], { keep: 2 });
    expect([...lib.memoGetMany('ns', ['a', 'b', 'c', 'd']).keys()].sort()).toEqual(['b', 'd']);
    expect(lib.memoGetMany('other', ['o']).size).toBe(1);
    expect(() => lib.memoPutMany('ns', [], { keep: 0 })).toThrow(InvalidOptionsError);
  });

  test('a refused entry refuses the whole put', () => {
    expect(() =>
      lib.memoPutMany('ns', [
        { key: 'good', value: 1 },
        { key: '', value: 2 },
      ]),
    ).toThrow(InvalidOptionsError);
    expect(lib.memoGetMany('ns', ['good']).size).toBe(0);
  });
});

describe('migration V5 (the memo)', () => {
  test('a version 4 library gets the memo table and keeps its cache and scripts', () => {
    const old = join(dir, 'v4');
    mkdirSync(old);
    const db = new Database(join(old, 'library.db'));
    for (const sql of MIGRATIONS.slice(0, 4)) db.exec(sql);
    db.pragma('user_version = 4');
    db.prepare(
      "INSERT INTO cache (key, language, source, generator, created_at) VALUES ('k', 'instrument-python', 'pass\n', 'instrument', '2025-01-01T00:00:00.000Z')",
    ).run();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'memo'").all()).toEqual([]);
    db.close();

    const migrated = openLibrary({ home: old });
    try {
      expect(migrated.cacheGet('k')).toMatchObject({ source: 'pass\n', generator: 'instrument' });
      migrated.memoPutMany('instrument-analysis', [{ key: 'x', value: { ok: true } }]);
      expect(migrated.memoGetMany('instrument-analysis', ['x']).get('x')).toEqual({ ok: true });
    } finally {
      migrated.close();
    }
    const check = new Database(join(old, 'library.db'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const sql = check.prepare("SELECT sql FROM sqlite_master WHERE name = 'memo'").pluck().get() as string;
    expect(sql).toMatch(/PRIMARY KEY \(namespace, key\)/);
    check.close();
    const writable = new Database(join(old, 'library.db'));
    expect(() => writable.prepare("INSERT INTO memo VALUES ('ns', 'k', '{not json', 'now')").run()).toThrow(
      /CHECK constraint failed/,
    );
    writable.close();
  });
});
