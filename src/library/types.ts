/** What the library hands out, and the Library interface itself. */
import type { LibraryLanguage } from './names.js';
import type {
  AuditOpts,
  CachePutEntry,
  GetOpts,
  HistoryOpts,
  ListOpts,
  RunOutcome,
  SaveOpts,
  SearchOpts,
  UpdateOpts,
  WhoOpts,
} from './options.js';

/** A script without its source. Timestamps are ISO 8601 strings (UTC). */
export interface ScriptSummary {
  name: string;
  category: string;
  task: string;
  number: number;
  language: LibraryLanguage;
  description: string;
  tags: string[];
  currentVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** A script at one version, with that version's source. */
export interface ScriptRecord extends ScriptSummary {
  /** The version this record holds (currentVersion unless an older one was asked for). */
  version: number;
  source: string;
  /** sha256 (hex) of the source, as RunResult.scriptHash computes it. */
  sha256: string;
  note: string | null;
  versionCreatedAt: string;
  versionWho: string;
}

export interface VersionInfo {
  n: number;
  sha256: string;
  bytes: number;
  createdAt: string;
  who: string;
  note: string | null;
}

export interface SearchHit extends ScriptSummary {
  /** Higher is better (bm25, with name weighted over description and tags over source). */
  score: number;
  /** A few words around the match, matches in [brackets]. */
  snippet: string;
}

export interface RunRecord {
  id: number;
  name: string;
  version: number;
  who: string;
  at: string;
  ok: boolean;
  /** `ok`, `failed` (non-zero exit), or the RunResult error kind (`timeout`, `memory`, ...). */
  kind: string;
  exitCode: number | null;
  wallMs: number;
  cpuMs: number;
  peakMemoryBytes: number;
}

/**
 * The library's own actions, or what another part of scriptbox recorded through it: the service faces
 * audit runs, generations and token changes under their own action names (`run`, `token.create`, ...).
 */
export type AuditAction = 'save' | 'update' | 'delete' | 'cache.clear' | (string & {});

export interface AuditEntry {
  id: number;
  at: string;
  who: string;
  action: AuditAction;
  target: string;
  details: Record<string, unknown>;
}

export interface DeletedScript {
  name: string;
  versions: number;
  runs: number;
}

export interface CacheEntry {
  key: string;
  language: string;
  source: string;
  generator: 'template' | 'llm' | null;
  meta: Record<string, unknown>;
  bytes: number;
  createdAt: string;
  hits: number;
  lastHit: string | null;
}

export interface CacheStats {
  entries: number;
  /** Lookups that found an entry, since the last clear. */
  hits: number;
  /** Lookups that found nothing, since the last clear. */
  misses: number;
  /** UTF-8 bytes of the cached sources. */
  bytes: number;
  byLanguage: Record<string, { entries: number; bytes: number }>;
}

export interface Library {
  /** The data directory and the database file in it. */
  readonly home: string;
  readonly path: string;
  /** Who acts when a call does not say (openLibrary's `who`, else the OS user name). */
  readonly who: string;
  /** Saves a new script as version 1 under the next free `category_task_NNN.ext` name. */
  save(opts: SaveOpts): ScriptRecord;
  /** Adds a version; the old ones stay readable with get(name, { version }). */
  update(name: string, opts: UpdateOpts): ScriptRecord;
  /** Throws LibraryNotFoundError (exit 2) when there is no such script or version. */
  get(name: string, opts?: GetOpts): ScriptRecord;
  versions(name: string): VersionInfo[];
  /** Sorted by category, task, number. */
  list(opts?: ListOpts): ScriptSummary[];
  /** Full-text search over name, description, tags and source; the text is taken as plain words. */
  search(query: string, opts?: SearchOpts): SearchHit[];
  /** Removes the script, its versions and its run history; the audit log keeps the deletion. */
  delete(name: string, opts?: WhoOpts): DeletedScript;
  recordRun(name: string, version: number, result: RunOutcome, who: string): RunRecord;
  /** Runs of a script, newest first. */
  history(name: string, opts?: HistoryOpts): RunRecord[];
  /** Newest first. */
  audit(opts?: AuditOpts): AuditEntry[];
  /** The cached script for `key` (counting a hit), or undefined (counting a miss). */
  cacheGet(key: string): CacheEntry | undefined;
  /** Stores or replaces the entry for `key` (its hit count is kept). */
  cachePut(key: string, entry: CachePutEntry): void;
  cacheStats(): CacheStats;
  /** Empties the cache and resets its counters; returns what was removed. */
  cacheClear(opts?: WhoOpts): { entries: number; bytes: number };
  /** Closes the database. Idempotent. */
  close(): void;
}
