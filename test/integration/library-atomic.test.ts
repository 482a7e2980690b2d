/**
 * Nothing half-written: a write that fails anywhere inside leaves the database byte-for-byte the same
 * (compared as a full dump, FTS shadow tables included), and a writer killed with SIGKILL in the middle
 * of its writes leaves a consistent library that still holds everything it had committed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { LibraryConflictError, openLibrary, type Library } from '../../src/library/index.js';
import { consistencyProblems, dumpDatabase } from './fixtures/library-db.js';

let home: string;
let lib: Library;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-lib-atomic-'));
  lib = openLibrary({ home, who: 'ann' });
});
afterEach(() => {
  lib.close();
  rmSync(home, { recursive: true, force: true });
});

/** Runs SQL on the library file through a second connection (as a saboteur would). */
function sabotage(sql: string): void {
  const db = new Database(lib.path);
  db.exec(sql);
  db.close();
}

const failOn = (table: string): string =>
  `CREATE TRIGGER fail_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`;

function seed(): void {
  const first = lib.save({ category: 'math', task: 'addition', language: 'python', source: 'print(1)\n' });
  lib.update(first.name, { source: 'print(2)\n', note: 'two' });
  lib.save({ category: 'math', task: 'addition', language: 'bash', source: 'echo 1\n', tags: ['shell'] });
  lib.recordRun(
    first.name,
    2,
    { ok: true, exitCode: 0, error: null, usage: { wallMs: 5, cpuMs: 2, peakMemoryBytes: 9 } },
    'ann',
  );
  lib.cachePut('k1', { language: 'python', source: 'print(3)\n', generator: 'template' });
}

describe('a failed write leaves the database exactly as before', () => {
  test.each([
    [
      'save failing at its version row',
      'versions',
      () => lib.save({ category: 'math', task: 'addition', language: 'python', source: 'x = 1\n' }),
    ],
    [
      'save failing at its audit row (after script, version and FTS rows)',
      'audit',
      () => lib.save({ category: 'math', task: 'addition', language: 'python', source: 'x = 1\n' }),
    ],
    [
      'update failing at its version row',
      'versions',
      () => lib.update('math_addition_001.py', { source: 'x = 2\n' }),
    ],
    [
      'update failing at its audit row',
      'audit',
      () => lib.update('math_addition_001.py', { source: 'x = 2\n' }),
    ],
    ['delete failing at its audit row', 'audit', () => lib.delete('math_addition_001.py')],
    ['cache clear failing at its audit row', 'audit', () => lib.cacheClear()],
    [
      'recordRun failing at its run row',
      'runs',
      () =>
        lib.recordRun(
          'math_addition_001.py',
          1,
          { ok: false, exitCode: 1, error: null, usage: { wallMs: 1, cpuMs: 1, peakMemoryBytes: 1 } },
          'ann',
        ),
    ],
  ])('%s', (_what, table, write) => {
    seed();
    sabotage(failOn(table));
    const before = dumpDatabase(lib.path);
    expect(write).toThrow(LibraryConflictError);
    expect(write).toThrow(/injected failure/);
    expect(dumpDatabase(lib.path)).toEqual(before);
    expect(consistencyProblems(lib.path)).toEqual([]);
  });

  test('a failed save does not use up its number', () => {
    seed();
    sabotage(failOn('audit'));
    expect(() =>
      lib.save({ category: 'math', task: 'addition', language: 'python', source: 'x\n' }),
    ).toThrow();
    sabotage('DROP TRIGGER fail_audit');
    expect(lib.save({ category: 'math', task: 'addition', language: 'python', source: 'x\n' }).name).toBe(
      'math_addition_003.py',
    );
  });

  test.each([
    ['an invalid name', () => lib.update('../math_addition_001.py', { source: 'x' })],
    [
      'an invalid category',
      () => lib.save({ category: 'Math', task: 'addition', language: 'python', source: 'x' }),
    ],
    ['an empty source', () => lib.update('math_addition_001.py', { source: '' })],
    [
      'an unknown option',
      () => lib.save({ category: 'math', task: 'a', language: 'python', source: 'x', extra: 1 } as never),
    ],
  ])('invalid input is refused before writing: %s', (_what, write) => {
    seed();
    const before = dumpDatabase(lib.path);
    expect(write).toThrow(InvalidOptionsError);
    expect(dumpDatabase(lib.path)).toEqual(before);
  });

  test('a stale baseVersion is a conflict and writes nothing', () => {
    seed();
    const before = dumpDatabase(lib.path);
    expect(() => lib.update('math_addition_001.py', { source: 'y\n', baseVersion: 1 })).toThrow(
      /math_addition_001\.py is at version 2, not 1/,
    );
    expect(dumpDatabase(lib.path)).toEqual(before);
  });
});

const WRITER = fileURLToPath(new URL('./fixtures/library-writer.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What the writers reported as committed, across rounds. */
interface Committed {
  /** Live names with the version their last committed save or update reached. */
  versions: Map<string, number>;
  deleted: Set<string>;
}

interface Killed {
  /** The target of the write in flight when the kill came: it may or may not have committed. */
  inFlight: string | null;
  ops: number;
  signal: string | null;
}

function readReport(text: string, committed: Committed): Omit<Killed, 'signal'> {
  let inFlight: string | null = null;
  let ops = 0;
  for (const line of text.split('\n')) {
    const [mark, op, name = '', version] = line.split(' ');
    if (mark === '>') inFlight = name;
    if (mark !== 'ok') continue;
    ops += 1;
    inFlight = null;
    if (op === 'save' || op === 'update') committed.versions.set(name, Number(version ?? 1));
    if (op === 'delete') {
      committed.versions.delete(name);
      committed.deleted.add(name);
    }
  }
  return { inFlight, ops };
}

/** Starts the writer and SIGKILLs it once it has reported `afterOps` commits (it goes on writing meanwhile). */
function killWriterMidWrite(dir: string, committed: Committed, afterOps: number): Promise<Killed> {
  const child = spawn(process.execPath, ['--import', TSX, WRITER, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    if ((text.match(/^ok /gm) ?? []).length >= afterOps) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (_code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`the writer ended by itself (${String(signal)}): ${stderr}`));
      resolve({ ...readReport(text, committed), signal });
    });
  });
}

function isSaved(library: Library, name: string): boolean {
  return library.list().some((script) => script.name === name);
}

describe('kill -9 during writes', () => {
  test('leaves a consistent library holding every committed write, five times over', async () => {
    lib.close();
    const committed: Committed = { versions: new Map(), deleted: new Set() };
    for (let round = 0; round < 5; round++) {
      // A different moment each round: after 40, 77, 114... commits.
      const killed = await killWriterMidWrite(home, committed, 40 + 37 * round);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.ops).toBeGreaterThanOrEqual(40 + 37 * round);
      expect(consistencyProblems(join(home, 'library.db'))).toEqual([]);

      lib = openLibrary({ home });
      for (const [name, version] of committed.versions) {
        if (name === killed.inFlight) continue;
        expect(lib.get(name).currentVersion).toBeGreaterThanOrEqual(version);
      }
      for (const name of committed.deleted)
        if (name !== killed.inFlight) expect(() => lib.get(name)).toThrow(/no script named/);
      expect(lib.search('crash').length).toBeGreaterThan(0);
      // Settle the write the kill interrupted: committed or not, both are consistent.
      const interrupted = killed.inFlight;
      if (interrupted !== null && committed.versions.has(interrupted) && !isSaved(lib, interrupted)) {
        committed.versions.delete(interrupted);
        committed.deleted.add(interrupted);
      }
      lib.close();
    }
    lib = openLibrary({ home });
  }, 60_000);
});
