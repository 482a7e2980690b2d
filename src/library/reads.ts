/** The library's reads: one script, lists, versions, search, run history and the audit log. */
import { parseOptions } from '../parse-options.js';
import type { Sql } from './database.js';
import { LibraryNotFoundError, noSuchScript } from './errors.js';
import { toFtsQuery } from './fts-query.js';
import { parseScriptName } from './names.js';
import {
  AuditOptsSchema,
  GetOptsSchema,
  HistoryOptsSchema,
  ListOptsSchema,
  SearchOptsSchema,
  type AuditOpts,
  type GetOpts,
  type HistoryOpts,
  type ListOpts,
  type SearchOpts,
} from './options.js';
import {
  SCRIPT_COLUMNS,
  VERSION_COLUMNS,
  toAuditEntry,
  toRecord,
  toRunRecord,
  toSummary,
  toVersionInfo,
  type AuditRow,
  type RunRow,
  type ScriptRow,
  type VersionInfoRow,
  type VersionRow,
} from './rows.js';
import type { AuditEntry, RunRecord, ScriptRecord, ScriptSummary, SearchHit, VersionInfo } from './types.js';

/** The script at `version` (default: current); a name that is not there throws LibraryNotFoundError. */
export function readScript(sql: Sql, name: string, version?: number): ScriptRecord {
  const row = sql.get<ScriptRow & VersionRow>(
    `SELECT ${SCRIPT_COLUMNS}, ${VERSION_COLUMNS}
     FROM scripts s JOIN versions v ON v.script_id = s.id AND v.n = coalesce(?, s.current_version)
     WHERE s.name = ?`,
    [version ?? null, name],
  );
  if (row) return toRecord(row);
  const script = sql.get<{ current_version: number }>('SELECT current_version FROM scripts WHERE name = ?', [
    name,
  ]);
  if (!script) throw noSuchScript(name);
  throw new LibraryNotFoundError(
    `${name} has no version ${version ?? '?'}: its versions are 1 to ${script.current_version}`,
    { data: { name, version, currentVersion: script.current_version } },
  );
}

export function getScript(sql: Sql, name: string, raw: GetOpts = {}): ScriptRecord {
  parseScriptName(name);
  const opts = parseOptions(GetOptsSchema, raw, 'get options');
  return readScript(sql, name, opts.version);
}

function scriptId(sql: Sql, name: string): number {
  parseScriptName(name);
  const row = sql.get<{ id: number }>('SELECT id FROM scripts WHERE name = ?', [name]);
  if (!row) throw noSuchScript(name);
  return row.id;
}

export function listVersions(sql: Sql, name: string): VersionInfo[] {
  const id = scriptId(sql, name);
  return sql
    .all<VersionInfoRow>(
      `SELECT n, sha256, length(CAST(source AS BLOB)) AS bytes, created_at, who, note
       FROM versions WHERE script_id = ? ORDER BY n`,
      [id],
    )
    .map(toVersionInfo);
}

export function listScripts(sql: Sql, raw: ListOpts = {}): ScriptSummary[] {
  const opts = parseOptions(ListOptsSchema, raw, 'list options');
  return sql
    .all<ScriptRow>(
      `SELECT ${SCRIPT_COLUMNS} FROM scripts s
       WHERE (:category IS NULL OR s.category = :category) AND (:language IS NULL OR s.language = :language)
       ORDER BY s.category, s.task, s.number LIMIT :limit`,
      { category: opts.category ?? null, language: opts.language ?? null, limit: opts.limit },
    )
    .map(toSummary);
}

export function searchScripts(sql: Sql, query: string, raw: SearchOpts = {}): SearchHit[] {
  const opts = parseOptions(SearchOptsSchema, raw, 'search options');
  const match = toFtsQuery(query);
  if (match === null) return [];
  // bm25 weights per column: name 10, description 5, tags 5, source 1. bm25 is lower-is-better.
  return sql
    .all<ScriptRow & { score: number; snippet: string }>(
      `SELECT ${SCRIPT_COLUMNS}, -bm25(scripts_fts, 10.0, 5.0, 5.0, 1.0) AS score,
         snippet(scripts_fts, -1, '[', ']', '…', 12) AS snippet
       FROM scripts_fts JOIN scripts s ON s.id = scripts_fts.rowid
       WHERE scripts_fts MATCH ? ORDER BY score DESC, s.name LIMIT ?`,
      [match, opts.limit],
    )
    .map((row) => ({ ...toSummary(row), score: row.score, snippet: row.snippet }));
}

export function runHistory(sql: Sql, name: string, raw: HistoryOpts = {}): RunRecord[] {
  const opts = parseOptions(HistoryOptsSchema, raw, 'history options');
  const id = scriptId(sql, name);
  return sql
    .all<RunRow>(
      `SELECT id, ? AS name, version, who, at, ok, kind, exit_code, wall_ms, cpu_ms, peak_memory_bytes
       FROM runs WHERE script_id = ? ORDER BY id DESC LIMIT ?`,
      [name, id, opts.limit],
    )
    .map(toRunRecord);
}

export function readAudit(sql: Sql, raw: AuditOpts = {}): AuditEntry[] {
  const opts = parseOptions(AuditOptsSchema, raw, 'audit options');
  return sql
    .all<AuditRow>(
      `SELECT id, at, who, action, target, details FROM audit
       WHERE (:target IS NULL OR target = :target) ORDER BY id DESC LIMIT :limit`,
      { target: opts.target ?? null, limit: opts.limit },
    )
    .map(toAuditEntry);
}
