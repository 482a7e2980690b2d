/**
 * What the library hands out, and the Library interface itself. What the faces send on (records, hits,
 * run history, cache stats) is one zod schema each, the types inferred from them.
 */
import { z } from 'zod';
import { LIBRARY_LANGUAGES } from './names.js';
import type {
  AuditOpts,
  CachePutEntry,
  GetOpts,
  HistoryOpts,
  ListOpts,
  MemoPutOpts,
  RunOutcome,
  SaveOpts,
  SearchOpts,
  UpdateOpts,
  WhoOpts,
} from './options.js';

export const ScriptSummarySchema = z
  .object({
    name: z.string().describe('category_task_NNN.ext, like math_addition_001.py'),
    category: z.string(),
    task: z.string(),
    number: z.number().int(),
    language: z.enum(LIBRARY_LANGUAGES),
    description: z.string(),
    tags: z.array(z.string()),
    currentVersion: z.number().int(),
    createdAt: z.string().describe('ISO 8601 (UTC)'),
    updatedAt: z.string().describe('ISO 8601 (UTC)'),
  })
  .describe('A script without its source');
export type ScriptSummary = z.infer<typeof ScriptSummarySchema>;

export const ScriptRecordSchema = ScriptSummarySchema.extend({
  version: z
    .number()
    .int()
    .describe('The version this record holds (currentVersion unless an older one was asked for)'),
  source: z.string(),
  sha256: z.string().describe('sha256 (hex) of the source, as RunResult.scriptHash computes it'),
  note: z.string().nullable(),
  versionCreatedAt: z.string(),
  versionWho: z.string(),
  existed: z
    .literal(true)
    .optional()
    .describe(
      'Only from save: this category and task already had a script in this language whose current ' +
        'source is the same; it is returned and nothing new was saved',
    ),
}).describe("A script at one version, with that version's source");
export type ScriptRecord = z.infer<typeof ScriptRecordSchema>;

export interface VersionInfo {
  n: number;
  sha256: string;
  bytes: number;
  createdAt: string;
  who: string;
  note: string | null;
}

export const SearchHitSchema = ScriptSummarySchema.extend({
  score: z
    .number()
    .describe('Higher is better (bm25, with name weighted over description and tags over source)'),
  snippet: z.string().describe('A few words around the match, matches in [brackets]'),
});
export type SearchHit = z.infer<typeof SearchHitSchema>;

export const RunRecordSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  who: z.string(),
  at: z.string(),
  ok: z.boolean(),
  kind: z.string().describe('ok, failed (non-zero exit), or the RunResult error kind (timeout, memory, ...)'),
  exitCode: z.number().int().nullable(),
  wallMs: z.number(),
  cpuMs: z.number(),
  peakMemoryBytes: z.number(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

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

export const DeletedScriptSchema = z
  .object({
    name: z.string(),
    versions: z.number().int().describe('Versions deleted'),
    runs: z.number().int().describe('Run-history entries deleted'),
  })
  .describe('What was deleted: the script, its versions and its run history');
export type DeletedScript = z.infer<typeof DeletedScriptSchema>;

export interface CacheEntry {
  key: string;
  language: string;
  source: string;
  generator: 'template' | 'llm' | 'instrument' | null;
  meta: Record<string, unknown>;
  bytes: number;
  createdAt: string;
  hits: number;
  lastHit: string | null;
}

export const CacheStatsSchema = z
  .object({
    entries: z.number().int(),
    hits: z.number().int().describe('Lookups that found an entry, since the last clear'),
    misses: z.number().int().describe('Lookups that found nothing, since the last clear'),
    bytes: z.number().int().describe('UTF-8 bytes of the cached sources'),
    byLanguage: z.record(z.string(), z.object({ entries: z.number().int(), bytes: z.number().int() })),
  })
  .describe('The generation cache: its entries, hits and misses since the last clear, by language');
export type CacheStats = z.infer<typeof CacheStatsSchema>;

/** What `cacheClear` removed: the cache's entries and their bytes, and the memo's entries. */
export interface CacheCleared {
  entries: number;
  bytes: number;
  memoEntries: number;
}

export interface Library {
  /** The data directory and the database file in it. */
  readonly home: string;
  readonly path: string;
  /** Who acts when a call does not say (openLibrary's `who`, else the OS user name). */
  readonly who: string;
  /**
   * Saves a new script as version 1 under the next free `category_task_NNN.ext` name; when the category
   * and task already have a script in this language whose current source is the same, returns that one
   * with `existed: true` and saves nothing.
   */
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
  /** cacheGet for many keys in one query and one transaction: the entries found, by key. */
  cacheGetMany(keys: readonly string[]): Map<string, CacheEntry>;
  /** cachePut for many entries in one transaction. */
  cachePutMany(entries: ReadonlyArray<{ key: string; entry: CachePutEntry }>): void;
  cacheStats(): CacheStats;
  /** Empties the cache and the memo and resets the counters; returns what was removed. */
  cacheClear(opts?: WhoOpts): CacheCleared;
  /** The memo's values for `keys` in `namespace` (one read query; missing keys are absent). */
  memoGetMany(namespace: string, keys: readonly string[]): Map<string, unknown>;
  /** Stores memo entries (values must be JSON) in one transaction; `keep` bounds the namespace. */
  memoPutMany(
    namespace: string,
    entries: ReadonlyArray<{ key: string; value: unknown }>,
    opts?: MemoPutOpts,
  ): void;
  /** Closes the database. Idempotent. */
  close(): void;
}
