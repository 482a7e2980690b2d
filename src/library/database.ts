/**
 * Opening the library's SQLite database, and a small typed wrapper over better-sqlite3.
 *
 * Settings: WAL (readers never block the writer; a killed writer leaves the last committed state),
 * foreign keys on, a 5 s busy timeout for concurrent scriptbox processes, and `synchronous = NORMAL`.
 * In WAL mode NORMAL cannot corrupt the database and loses nothing when a process dies (kill -9): a
 * commit is in the WAL file before it returns. Only an OS crash or power cut can roll back the last
 * commits, which FULL would prevent with an fsync per transaction. That fsync would dominate cache
 * lookups (each counts a hit, i.e. writes), and everything stored is re-creatable; so NORMAL.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ScriptboxError } from '../errors.js';
import { LibraryConflictError } from './errors.js';
import { migrate } from './schema.js';

export const DATABASE_FILE = 'library.db';
const BUSY_TIMEOUT_MS = 5_000;

type Params = unknown[] | [Record<string, unknown>];

/** Prepared statements cached per connection; every write goes through write(), one transaction. */
export class Sql {
  private readonly statements = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(readonly db: Database.Database) {}

  private prepare(sql: string): Database.Statement<unknown[], unknown> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** The first row, typed by the caller (the SQL decides the shape). */
  get<Row>(sql: string, ...params: Params): Row | undefined {
    return this.prepare(sql).get(...params) as Row | undefined;
  }

  all<Row>(sql: string, ...params: Params): Row[] {
    return this.prepare(sql).all(...params) as Row[];
  }

  run(sql: string, ...params: Params): Database.RunResult {
    return this.prepare(sql).run(...params);
  }

  /**
   * Runs `fn` as one IMMEDIATE transaction (the write lock is taken first, so two writers queue instead
   * of failing halfway): it commits when fn returns and rolls back when anything throws.
   * A constraint the database enforces becomes LibraryConflictError.
   */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) {
        throw new LibraryConflictError(`the library refused the change (${err.message}); nothing was saved`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}

function createHome(home: string): void {
  try {
    if (mkdirSync(home, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(home, 0o700);
  } catch (cause) {
    throw new ScriptboxError(
      'INTERNAL',
      `cannot create the scriptbox data directory ${home}: ${(cause as Error).message}; ` +
        'set SCRIPTBOX_HOME to a writable directory',
      { cause },
    );
  }
}

/** Opens (creating and migrating as needed) `<home>/library.db`. */
export function openDatabase(home: string): { db: Database.Database; path: string } {
  createHome(home);
  const path = join(home, DATABASE_FILE);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    return { db, path };
  } catch (cause) {
    db?.close();
    if (cause instanceof ScriptboxError) throw cause;
    throw new ScriptboxError(
      'INTERNAL',
      `cannot open the script library ${path}: ${(cause as Error).message} ` +
        '(set SCRIPTBOX_HOME to use another directory)',
      { cause },
    );
  }
}
