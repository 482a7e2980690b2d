/**
 * The library's SQLite schema, applied by migrations numbered with `PRAGMA user_version`: migration i
 * takes the database from version i to i + 1, each in its own transaction (DDL is transactional in
 * SQLite), so a database is always exactly at one version. Never edit a shipped migration; append one.
 */
import type Database from 'better-sqlite3';
import { ScriptboxError } from '../errors.js';

const V1 = `
CREATE TABLE scripts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  category TEXT NOT NULL,
  task TEXT NOT NULL,
  number INTEGER NOT NULL CHECK (number >= 1),
  language TEXT NOT NULL CHECK (language IN ('python', 'javascript', 'typescript', 'bash')),
  description TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  current_version INTEGER NOT NULL CHECK (current_version >= 1),
  UNIQUE (category, task, number),
  -- Circular with versions.script_id; deferred so a script and its first version go in one transaction.
  FOREIGN KEY (id, current_version) REFERENCES versions (script_id, n) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE versions (
  script_id INTEGER NOT NULL REFERENCES scripts (id) ON DELETE CASCADE,
  n INTEGER NOT NULL CHECK (n >= 1),
  source TEXT NOT NULL,
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  created_at TEXT NOT NULL,
  who TEXT NOT NULL,
  note TEXT,
  PRIMARY KEY (script_id, n)
) STRICT;

-- The last number given per category/task: numbers are never reused, so a name seen in the audit log or
-- in old output always meant one script.
CREATE TABLE numbering (
  category TEXT NOT NULL,
  task TEXT NOT NULL,
  last INTEGER NOT NULL CHECK (last >= 1),
  PRIMARY KEY (category, task)
) STRICT;

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  script_id INTEGER NOT NULL,
  version INTEGER NOT NULL,
  who TEXT NOT NULL,
  at TEXT NOT NULL,
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  kind TEXT NOT NULL,
  exit_code INTEGER,
  wall_ms INTEGER NOT NULL,
  cpu_ms INTEGER NOT NULL,
  peak_memory_bytes INTEGER NOT NULL,
  FOREIGN KEY (script_id, version) REFERENCES versions (script_id, n) ON DELETE CASCADE
) STRICT;
CREATE INDEX runs_by_script ON runs (script_id, version);

-- Outlives what it describes: deleting a script keeps its audit rows.
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  who TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
) STRICT;

-- rowid = scripts.id; source is the current version's. Written by the same transactions as scripts.
CREATE VIRTUAL TABLE scripts_fts USING fts5 (name, description, tags, source, tokenize = 'unicode61 remove_diacritics 2');

CREATE TABLE cache (
  key TEXT PRIMARY KEY,
  language TEXT NOT NULL,
  source TEXT NOT NULL,
  generator TEXT CHECK (generator IN ('template', 'llm')),
  meta TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  bytes INTEGER GENERATED ALWAYS AS (length(CAST(source AS BLOB))) STORED,
  created_at TEXT NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0,
  last_hit TEXT
) STRICT;

-- Lookups since the last clear (one row).
CREATE TABLE cache_counters (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hits INTEGER NOT NULL,
  misses INTEGER NOT NULL
) STRICT;
INSERT INTO cache_counters (id, hits, misses) VALUES (1, 0, 0);
`;

// The service's API tokens (src/access/tokens.ts) and CPU quota (src/access/quota.ts). A token is kept
// only as the sha256 of its secret; revoking keeps the row, so audit entries keep meaning something.
const V2 = `
CREATE TABLE tokens (
  id TEXT PRIMARY KEY CHECK (id GLOB 'tok_*'),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT,
  runs_per_minute INTEGER CHECK (runs_per_minute >= 1),
  cpu_seconds_per_day INTEGER CHECK (cpu_seconds_per_day >= 1)
) STRICT;
-- A name is one live token at a time (it is the "who" of the audit log); also answers "any live token?".
CREATE UNIQUE INDEX tokens_live_names ON tokens (name) WHERE revoked_at IS NULL;

-- CPU milliseconds charged per principal (a token id, or 'anonymous') per UTC day.
CREATE TABLE cpu_usage (
  principal TEXT NOT NULL,
  day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  cpu_ms INTEGER NOT NULL CHECK (cpu_ms >= 0),
  PRIMARY KEY (principal, day)
) STRICT;
`;

// A token may be granted less network than the server allows: its own allowlist (JSON array of entries,
// src/network/allowlist.ts); NULL leaves it at the server's policy.
const V3 = `
ALTER TABLE tokens ADD COLUMN net_allow TEXT CHECK (net_allow IS NULL OR json_valid(net_allow));
`;

// Insertion scripts of `scriptbox instrument` are cached too (generator 'instrument'). SQLite cannot alter a
// CHECK: the table is rebuilt with its rows (the generated `bytes` column recomputes itself).
const V4 = `
CREATE TABLE cache_v4 (
  key TEXT PRIMARY KEY,
  language TEXT NOT NULL,
  source TEXT NOT NULL,
  generator TEXT CHECK (generator IN ('template', 'llm', 'instrument')),
  meta TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  bytes INTEGER GENERATED ALWAYS AS (length(CAST(source AS BLOB))) STORED,
  created_at TEXT NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0,
  last_hit TEXT
) STRICT;
INSERT INTO cache_v4 (key, language, source, generator, meta, created_at, hits, last_hit)
  SELECT key, language, source, generator, meta, created_at, hits, last_hit FROM cache;
DROP TABLE cache;
ALTER TABLE cache_v4 RENAME TO cache;
`;

// The memo (memo.ts): derived data by namespace and content key, values as JSON — `scriptbox instrument`'s
// per-file analyses. Re-creatable, so `cache clear` empties it with the cache.
const V5 = `
CREATE TABLE memo (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL CHECK (json_valid(value)),
  created_at TEXT NOT NULL,
  PRIMARY KEY (namespace, key)
) STRICT;
`;

export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5];
export const SCHEMA_VERSION = MIGRATIONS.length;

function userVersion(db: Database.Database, path: string): number {
  const version = db.pragma('user_version', { simple: true });
  if (typeof version !== 'number') throw new ScriptboxError('INTERNAL', `cannot read the version of ${path}`);
  if (version > SCHEMA_VERSION) {
    throw new ScriptboxError(
      'INTERNAL',
      `${path} has schema version ${version}, newer than this scriptbox knows (${SCHEMA_VERSION}): ` +
        'upgrade scriptbox, or point SCRIPTBOX_HOME at another directory',
    );
  }
  return version;
}

/**
 * Brings the database to SCHEMA_VERSION, one migration per transaction; refuses one written by a newer
 * scriptbox. The version is read again under the write lock, so processes opening a new library at the
 * same time apply each migration once.
 */
export function migrate(db: Database.Database, path: string): void {
  let version = userVersion(db, path);
  while (version < SCHEMA_VERSION) {
    version = db
      .transaction(() => {
        const current = userVersion(db, path);
        const sql = MIGRATIONS[current];
        if (sql === undefined) return current;
        db.exec(sql);
        db.pragma(`user_version = ${current + 1}`);
        return current + 1;
      })
      .immediate();
  }
}
