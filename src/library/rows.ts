/** Rows as SQLite returns them, and their conversion into the library's records. */
import type { LibraryLanguage } from './names.js';
import type {
  AuditAction,
  AuditEntry,
  CacheEntry,
  RunRecord,
  ScriptRecord,
  ScriptSummary,
  VersionInfo,
} from './types.js';

export const SCRIPT_COLUMNS = `s.id, s.name, s.category, s.task, s.number, s.language, s.description, s.tags,
  s.created_at, s.updated_at, s.current_version`;

export interface ScriptRow {
  id: number;
  name: string;
  category: string;
  task: string;
  number: number;
  language: LibraryLanguage;
  description: string;
  tags: string;
  created_at: string;
  updated_at: string;
  current_version: number;
}

export const VERSION_COLUMNS = `v.n, v.source, v.sha256, v.created_at AS version_created_at,
  v.who AS version_who, v.note`;

export interface VersionRow {
  n: number;
  source: string;
  sha256: string;
  version_created_at: string;
  version_who: string;
  note: string | null;
}

export function toSummary(row: ScriptRow): ScriptSummary {
  return {
    name: row.name,
    category: row.category,
    task: row.task,
    number: row.number,
    language: row.language,
    description: row.description,
    tags: parseJson<string[]>(row.tags, []),
    currentVersion: row.current_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toRecord(row: ScriptRow & VersionRow): ScriptRecord {
  return {
    ...toSummary(row),
    version: row.n,
    source: row.source,
    sha256: row.sha256,
    note: row.note,
    versionCreatedAt: row.version_created_at,
    versionWho: row.version_who,
  };
}

export interface VersionInfoRow {
  n: number;
  sha256: string;
  bytes: number;
  created_at: string;
  who: string;
  note: string | null;
}

export function toVersionInfo(row: VersionInfoRow): VersionInfo {
  return {
    n: row.n,
    sha256: row.sha256,
    bytes: row.bytes,
    createdAt: row.created_at,
    who: row.who,
    note: row.note,
  };
}

export interface RunRow {
  id: number;
  name: string;
  version: number;
  who: string;
  at: string;
  ok: number;
  kind: string;
  exit_code: number | null;
  wall_ms: number;
  cpu_ms: number;
  peak_memory_bytes: number;
}

export function toRunRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    who: row.who,
    at: row.at,
    ok: row.ok === 1,
    kind: row.kind,
    exitCode: row.exit_code,
    wallMs: row.wall_ms,
    cpuMs: row.cpu_ms,
    peakMemoryBytes: row.peak_memory_bytes,
  };
}

export interface AuditRow {
  id: number;
  at: string;
  who: string;
  action: AuditAction;
  target: string;
  details: string;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  return { ...row, details: parseJson<Record<string, unknown>>(row.details, {}) };
}

export interface CacheRow {
  key: string;
  language: string;
  source: string;
  generator: 'template' | 'llm' | 'instrument' | null;
  meta: string;
  bytes: number;
  created_at: string;
  hits: number;
  last_hit: string | null;
}

export function toCacheEntry(row: CacheRow): CacheEntry {
  return {
    key: row.key,
    language: row.language,
    source: row.source,
    generator: row.generator,
    meta: parseJson<Record<string, unknown>>(row.meta, {}),
    bytes: row.bytes,
    createdAt: row.created_at,
    hits: row.hits,
    lastHit: row.last_hit,
  };
}

/** JSON the schema CHECKs as valid; `fallback` only guards against a hand-edited database. */
function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
