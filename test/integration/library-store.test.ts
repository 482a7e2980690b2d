/** The library API on a real SQLite file: round trip, numbering, versions, search, delete, audit, runs. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/library/schema.js';
import {
  LibraryConflictError,
  LibraryNotFoundError,
  openLibrary,
  type Library,
  type SaveOpts,
} from '../../src/library/index.js';
import { thrownScriptboxError } from '../support/errors.js';

let dir: string;
let lib: Library;
let tick = 0;
/** A clock that moves one second per call, so timestamps are distinct and predictable. */
const now = (): Date => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-lib-store-'));
  tick = 0;
  lib = openLibrary({ home: join(dir, 'home'), now, who: 'ann' });
});
afterEach(() => {
  lib.close();
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const py = (source: string, more: Partial<SaveOpts> = {}): SaveOpts => ({
  category: 'math',
  task: 'addition',
  language: 'python',
  source,
  ...more,
});
const usage = { wallMs: 12, cpuMs: 7, peakMemoryBytes: 4096 };

describe('opening', () => {
  test('creates the home 0700 with a WAL database at the current schema version', () => {
    expect(statSync(lib.home).mode & 0o777).toBe(0o700);
    expect(lib.path).toBe(join(dir, 'home', 'library.db'));
    const db = new Database(lib.path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  test('takes SCRIPTBOX_HOME when no home is given', () => {
    const home = join(dir, 'from-env');
    vi.stubEnv('SCRIPTBOX_HOME', home);
    const other = openLibrary();
    expect(other.home).toBe(home);
    other.close();
  });

  test('refuses a database from a newer scriptbox', () => {
    lib.close();
    const db = new Database(join(dir, 'home', 'library.db'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => openLibrary({ home: join(dir, 'home') })).toThrow(/schema version 99, newer than this/);
    lib = openLibrary({ home: join(dir, 'other') });
  });

  test('a closed library says so', () => {
    lib.close();
    expect(() => lib.list()).toThrow(/this library is closed/);
  });
});

describe('save and get', () => {
  test('round trip keeps every byte and field, across reopening', () => {
    const source = 'print("héllo")  \r\n\t# trailing spaces, CRLF, tab\n\n';
    const saved = lib.save(py(source, { description: 'adds two numbers', tags: ['Math', 'basic', 'math'] }));
    expect(saved).toEqual({
      name: 'math_addition_001.py',
      category: 'math',
      task: 'addition',
      number: 1,
      language: 'python',
      description: 'adds two numbers',
      tags: ['math', 'basic'],
      currentVersion: 1,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      version: 1,
      source,
      sha256: createHash('sha256').update(source).digest('hex'),
      note: null,
      versionCreatedAt: '2025-01-01T00:00:00.000Z',
      versionWho: 'ann',
    });
    lib.close();
    lib = openLibrary({ home: join(dir, 'home') });
    expect(lib.get('math_addition_001.py')).toEqual(saved);
    expect(lib.list()).toEqual([
      expect.objectContaining({ name: 'math_addition_001.py', currentVersion: 1, tags: ['math', 'basic'] }),
    ]);
    expect(lib.list()[0]).not.toHaveProperty('source');
  });

  test('numbers per category/task, the extension from the language, never reusing a number', () => {
    const names = [
      lib.save(py('1')).name,
      lib.save(py('2')).name,
      lib.save(py('3', { task: 'subtraction' })).name,
      lib.save(py('4', { category: 'stats' })).name,
      lib.save(py('5', { language: 'javascript' })).name,
      lib.save(py('6', { language: 'typescript' })).name,
      lib.save(py('7', { language: 'bash', task: 'subtraction' })).name,
    ];
    expect(names).toEqual([
      'math_addition_001.py',
      'math_addition_002.py',
      'math_subtraction_001.py',
      'stats_addition_001.py',
      'math_addition_003.js',
      'math_addition_004.ts',
      'math_subtraction_002.sh',
    ]);
    lib.delete('math_addition_004.ts');
    expect(lib.save(py('8')).name).toBe('math_addition_005.py');
    expect(lib.list({ category: 'math', language: 'python' }).map((s) => s.name)).toEqual([
      'math_addition_001.py',
      'math_addition_002.py',
      'math_addition_005.py',
      'math_subtraction_001.py',
    ]);
    expect(lib.list({ limit: 2 })).toHaveLength(2);
  });

  test('who comes from the call, else the library', () => {
    expect(lib.save(py('1', { who: 'bob' })).versionWho).toBe('bob');
    expect(lib.save(py('2')).versionWho).toBe('ann');
  });

  test.each([
    ['category', { category: 'Math' }, /category: a lowercase letter/],
    ['task', { task: 'add__it' }, /task: lowercase words joined by single underscores/],
    ['language', { language: 'ruby' }, /language:/],
    ['source', { source: '' }, /source: the script is empty/],
    ['tags', { tags: ['two words'] }, /tags\.0: a tag is a word/],
  ] as const)('refuses a bad %s with its path', (_what, bad, message) => {
    expect(() => lib.save({ ...py('x'), ...bad } as SaveOpts)).toThrow(InvalidOptionsError);
    expect(() => lib.save({ ...py('x'), ...bad } as SaveOpts)).toThrow(message);
    expect(lib.list()).toEqual([]);
  });

  test('unknown names and versions are LIBRARY_NOT_FOUND with what to do', () => {
    lib.save(py('1'));
    expect(() => lib.get('math_addition_002.py')).toThrow(LibraryNotFoundError);
    expect(() => lib.get('math_addition_002.py')).toThrow('no script named math_addition_002.py');
    // Where to list the scripts is each face's to say (`scriptbox scripts list`, GET /v1/scripts).
    expect(thrownScriptboxError(() => lib.get('math_addition_002.py')).data).toEqual({
      name: 'math_addition_002.py',
      see: { what: 'scripts' },
    });
    expect(() => lib.get('math_addition_001.js')).toThrow(/no script named math_addition_001\.js/);
    expect(() => lib.get('math_addition_001.py', { version: 2 })).toThrow(
      'math_addition_001.py has no version 2: its versions are 1 to 1',
    );
    expect(() => lib.get('../../etc/passwd')).toThrow(InvalidOptionsError);
  });
});

describe('versions', () => {
  test('every update is a new version; old ones stay readable', () => {
    lib.save(py('print(1)\n'));
    const v2 = lib.update('math_addition_001.py', { source: 'print(2)\n', note: 'two', who: 'bob' });
    const v3 = lib.update('math_addition_001.py', { source: 'print(3)\n', baseVersion: 2 });
    expect([v2.version, v2.currentVersion, v2.note, v2.versionWho]).toEqual([2, 2, 'two', 'bob']);
    expect([v3.version, v3.source, v3.createdAt, v3.updatedAt]).toEqual([
      3,
      'print(3)\n',
      '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:00:02.000Z',
    ]);
    expect([1, 2, 3].map((version) => lib.get('math_addition_001.py', { version }).source)).toEqual([
      'print(1)\n',
      'print(2)\n',
      'print(3)\n',
    ]);
    expect(lib.get('math_addition_001.py', { version: 1 })).toMatchObject({ version: 1, currentVersion: 3 });
    expect(lib.versions('math_addition_001.py').map((v) => [v.n, v.who, v.note, v.bytes])).toEqual([
      [1, 'ann', null, 9],
      [2, 'bob', 'two', 9],
      [3, 'ann', null, 9],
    ]);
  });

  test('a stale baseVersion is a conflict', () => {
    lib.save(py('1'));
    lib.update('math_addition_001.py', { source: '2' });
    expect(() => lib.update('math_addition_001.py', { source: '3', baseVersion: 1 })).toThrow(
      LibraryConflictError,
    );
    expect(lib.get('math_addition_001.py').currentVersion).toBe(2);
  });

  test('updating an unknown script is not found', () => {
    expect(() => lib.update('math_addition_001.py', { source: 'x' })).toThrow(/no script named/);
  });
});

describe('delete and audit', () => {
  test('delete removes the script, its versions and runs; the audit log keeps every change', () => {
    lib.save(py('print(1)\n'));
    lib.update('math_addition_001.py', { source: 'print(2)\n', note: 'two' });
    lib.recordRun('math_addition_001.py', 2, { ok: true, exitCode: 0, error: null, usage }, 'cy');
    expect(lib.delete('math_addition_001.py', { who: 'bob' })).toEqual({
      name: 'math_addition_001.py',
      versions: 2,
      runs: 1,
    });
    expect(() => lib.get('math_addition_001.py')).toThrow(LibraryNotFoundError);
    expect(() => lib.history('math_addition_001.py')).toThrow(LibraryNotFoundError);
    expect(() => lib.delete('math_addition_001.py')).toThrow(LibraryNotFoundError);
    const db = new Database(lib.path, { readonly: true });
    const rows = (table: string): unknown => db.prepare(`SELECT count(*) AS n FROM ${table}`).get();
    expect([rows('versions'), rows('runs'), rows('scripts_fts')]).toEqual([{ n: 0 }, { n: 0 }, { n: 0 }]);
    db.close();
    const audit = lib.audit();
    expect(audit.map((entry) => [entry.action, entry.target, entry.who])).toEqual([
      ['delete', 'math_addition_001.py', 'bob'],
      ['update', 'math_addition_001.py', 'ann'],
      ['save', 'math_addition_001.py', 'ann'],
    ]);
    expect(audit[0]?.details).toMatchObject({ versions: 2, runs: 1, lastVersion: 2, language: 'python' });
    expect(audit[1]?.details).toMatchObject({ version: 2, note: 'two' });
    expect(lib.audit({ limit: 1 })).toHaveLength(1);
    expect(lib.audit({ target: 'nope' })).toEqual([]);
  });
});

describe('run history', () => {
  test('records each run with its version, who, kind and usage; newest first', () => {
    lib.save(py('print(1)\n'));
    lib.update('math_addition_001.py', { source: 'while True: pass\n' });
    lib.recordRun('math_addition_001.py', 1, { ok: true, exitCode: 0, error: null, usage }, 'ann');
    const timeout = { kind: 'timeout', message: 'killed' };
    lib.recordRun('math_addition_001.py', 2, { ok: false, exitCode: null, error: timeout, usage }, 'bob');
    lib.recordRun('math_addition_001.py', 2, { ok: false, exitCode: 3, error: null, usage }, 'bob');
    const history = lib.history('math_addition_001.py');
    expect(history.map((run) => [run.version, run.who, run.ok, run.kind, run.exitCode])).toEqual([
      [2, 'bob', false, 'failed', 3],
      [2, 'bob', false, 'timeout', null],
      [1, 'ann', true, 'ok', 0],
    ]);
    expect(history[2]).toMatchObject({
      wallMs: 12,
      cpuMs: 7,
      peakMemoryBytes: 4096,
      name: 'math_addition_001.py',
    });
    expect(lib.history('math_addition_001.py', { limit: 1 })).toHaveLength(1);
    expect(() =>
      lib.recordRun('math_addition_001.py', 3, { ok: true, exitCode: 0, error: null, usage }, 'ann'),
    ).toThrow('math_addition_001.py has no version 3 (it has 1 to 2)');
  });
});
