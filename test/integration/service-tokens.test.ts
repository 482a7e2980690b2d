/** API tokens in the library database: created once, kept as a hash, listed without secrets, revoked. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { thrownScriptboxError as failure } from '../support/errors.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { libraryContext } from '../../src/library/library.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/library/schema.js';
import { createToken, hashToken, listTokens, revokeToken, TOKEN_FORM } from '../../src/access/tokens.js';

let dir: string;
let home: string;
let lib: Library;
let clock: Date;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-service-tokens-'));
  home = join(dir, 'home');
  clock = new Date('2025-03-14T10:00:00.000Z');
  lib = openLibrary({ home, who: 'admin', now: () => clock });
});
afterEach(() => {
  lib.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every file of the home (database, WAL, shared memory) as one buffer. */
const homeBytes = (): Buffer =>
  Buffer.concat(readdirSync(home).map((file) => readFileSync(join(home, file))));

describe('createToken', () => {
  test('returns a prefixed 256-bit secret once and stores only its sha256', () => {
    const created = createToken(lib, { name: 'ci', runsPerMinute: 10 });
    expect(Object.keys(created).sort()).toEqual(['id', 'name', 'token']);
    expect([created.id, created.name]).toEqual([
      expect.stringMatching(/^tok_[0-9a-f]{12}$/) as unknown,
      'ci',
    ]);
    expect(created.token).toMatch(TOKEN_FORM);
    expect(Buffer.from(created.token.slice(4), 'base64url')).toHaveLength(32);
    expect(createToken(lib, { name: 'other' }).token).not.toBe(created.token);

    const before = homeBytes();
    lib.close(); // checkpoints the WAL into the database file
    for (const bytes of [before, homeBytes()]) {
      expect(bytes.includes(hashToken(created.token))).toBe(true); // the test can see what is stored
      expect(bytes.includes('ci')).toBe(true);
      expect(bytes.includes(created.token)).toBe(false);
      expect(bytes.includes(created.token.slice(4))).toBe(false);
      expect(bytes.includes(Buffer.from(created.token.slice(4), 'base64url'))).toBe(false);
    }
    lib = openLibrary({ home });
  });

  test('lists every field but the secret, with null limits for the server default', () => {
    const a = createToken(lib, { name: 'ci', runsPerMinute: 10, cpuSecondsPerDay: 120 });
    clock = new Date('2025-03-14T11:00:00.000Z');
    const b = createToken(lib, { name: 'alice@laptop' });
    const listed = listTokens(lib);
    expect(listed).toEqual([
      {
        id: a.id,
        name: 'ci',
        createdAt: '2025-03-14T10:00:00.000Z',
        lastUsedAt: null,
        revokedAt: null,
        runsPerMinute: 10,
        cpuSecondsPerDay: 120,
        netAllow: null,
      },
      {
        id: b.id,
        name: 'alice@laptop',
        createdAt: '2025-03-14T11:00:00.000Z',
        lastUsedAt: null,
        revokedAt: null,
        runsPerMinute: null,
        cpuSecondsPerDay: null,
        netAllow: null,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(a.token.slice(4));
    expect(JSON.stringify(listed)).not.toContain(hashToken(a.token));
  });

  test('refuses bad options, the anonymous name, and a second live token with one name', () => {
    expect(() => createToken(lib, { name: '' })).toThrow(/name: a token name is/);
    expect(() => createToken(lib, { name: 'has space' })).toThrow(/INVALID|invalid token options/);
    expect(() => createToken(lib, { name: 'Anonymous' })).toThrow(/callers without a token/);
    expect(() => createToken(lib, { name: 'ci', runsPerMinute: 0 })).toThrow(/runsPerMinute/);
    expect(() => createToken(lib, { name: 'ci', cpuSecondsPerDay: 1.5 })).toThrow(/cpuSecondsPerDay/);
    expect(() => createToken(lib, { name: 'ci', netAllow: ['http://example.com/'] })).toThrow(
      /netAllow\.0: /,
    );
    const first = createToken(lib, { name: 'ci' });
    const conflict = failure(() => createToken(lib, { name: 'ci' }));
    expect(conflict.code).toBe('LIBRARY_CONFLICT');
    expect(conflict.message).toContain(first.id);
    revokeToken(lib, first.id);
    expect(createToken(lib, { name: 'ci' }).id).not.toBe(first.id); // the name is free again
  });
});

describe('revokeToken', () => {
  test('marks the token revoked once, audits it, and keeps the row', () => {
    const { id } = createToken(lib, { name: 'ci' });
    clock = new Date('2025-03-15T00:00:00.000Z');
    expect(revokeToken(lib, id, { who: 'ops' })).toMatchObject({ id, revokedAt: '2025-03-15T00:00:00.000Z' });
    clock = new Date('2025-03-16T00:00:00.000Z');
    expect(revokeToken(lib, id).revokedAt).toBe('2025-03-15T00:00:00.000Z');
    expect(listTokens(lib)).toHaveLength(1);
    expect(lib.audit().map(({ who, action, target, details }) => ({ who, action, target, details }))).toEqual(
      [
        { who: 'ops', action: 'token.revoke', target: id, details: { name: 'ci' } },
        {
          who: 'admin',
          action: 'token.create',
          target: id,
          details: { name: 'ci', runsPerMinute: null, cpuSecondsPerDay: null, netAllow: null },
        },
      ],
    );
  });

  test('an unknown or malformed id is a clear 4xx error', () => {
    const unknown = failure(() => revokeToken(lib, 'tok_000000000000'));
    expect([unknown.code, unknown.message]).toEqual([
      'LIBRARY_NOT_FOUND',
      'no token tok_000000000000; see `scriptbox tokens list`',
    ]);
    expect(failure(() => revokeToken(lib, 'ci')).code).toBe('INVALID_OPTIONS');
  });
});

describe('the library side', () => {
  test('a version 1 library migrates to the token tables and keeps its scripts', () => {
    lib.close();
    const old = join(dir, 'old');
    lib = openLibrary({ home: old });
    lib.save({ category: 'math', task: 'addition', language: 'python', source: 'print(1)\n' });
    lib.close();
    // Roll the file back to what a version 1 scriptbox wrote.
    const db = new Database(join(old, 'library.db'));
    db.exec('DROP TABLE tokens; DROP TABLE cpu_usage; DROP TABLE memo;');
    db.pragma('user_version = 1');
    db.close();
    expect(MIGRATIONS).toHaveLength(SCHEMA_VERSION);
    lib = openLibrary({ home: old });
    expect(lib.list().map((script) => script.name)).toEqual(['math_addition_001.py']);
    expect(createToken(lib, { name: 'ci' }).token).toMatch(TOKEN_FORM);
    const check = new Database(join(old, 'library.db'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });

  test('libraryContext reaches an open library only', () => {
    expect(libraryContext(lib).who).toBe('admin');
    expect(() => libraryContext({ ...lib })).toThrow(/not a library opened by openLibrary/);
    lib.close();
    expect(() => libraryContext(lib)).toThrow(/this library is closed/);
    expect(() => listTokens(lib)).toThrow(/this library is closed/);
    lib = openLibrary({ home });
  });
});
