/**
 * The generation cache: generated scripts by the content hash of their request (template + params, or
 * prompt + model), so an identical request is answered without generating again. Lookups are counted
 * (hits per entry and in total, misses in total) until the next clear.
 */
import { parseOptions } from '../parse-options.js';
import {
  CacheKeySchema,
  CachePutSchema,
  WhoOptsSchema,
  type CachePutEntry,
  type WhoOpts,
} from './options.js';
import { toCacheEntry, type CacheRow } from './rows.js';
import { memoClear } from './memo.js';
import type { CacheCleared, CacheEntry, CacheStats, Library } from './types.js';
import { writeAudit, type Ctx } from './writes.js';

const CACHE_COLUMNS = 'key, language, source, generator, meta, bytes, created_at, hits, last_hit';

function checkKey(key: string): string {
  return parseOptions(CacheKeySchema, key, 'cache key');
}

export function cacheGet(ctx: Ctx, key: string): CacheEntry | undefined {
  checkKey(key);
  return ctx.sql.write(() => {
    const row = ctx.sql.get<CacheRow>(
      `UPDATE cache SET hits = hits + 1, last_hit = ? WHERE key = ? RETURNING ${CACHE_COLUMNS}`,
      [ctx.now(), key],
    );
    ctx.sql.run(`UPDATE cache_counters SET ${row ? 'hits = hits' : 'misses = misses'} + 1 WHERE id = 1`);
    return row ? toCacheEntry(row) : undefined;
  });
}

/** Many lookups in one statement (keys passed as one JSON array), counted like cacheGet. */
export function cacheGetMany(ctx: Ctx, keys: readonly string[]): Map<string, CacheEntry> {
  const unique = [...new Set(keys)];
  for (const key of unique) checkKey(key);
  const found = new Map<string, CacheEntry>();
  if (unique.length === 0) return found;
  return ctx.sql.write(() => {
    const rows = ctx.sql.all<CacheRow>(
      `UPDATE cache SET hits = hits + 1, last_hit = ? WHERE key IN (SELECT value FROM json_each(?))
       RETURNING ${CACHE_COLUMNS}`,
      [ctx.now(), JSON.stringify(unique)],
    );
    for (const row of rows) found.set(row.key, toCacheEntry(row));
    ctx.sql.run('UPDATE cache_counters SET hits = hits + ?, misses = misses + ? WHERE id = 1', [
      found.size,
      unique.length - found.size,
    ]);
    return found;
  });
}

const PUT_SQL = `INSERT INTO cache (key, language, source, generator, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET language = excluded.language, source = excluded.source,
    generator = excluded.generator, meta = excluded.meta, created_at = excluded.created_at`;

export function cachePut(ctx: Ctx, key: string, raw: CachePutEntry): void {
  cachePutMany(ctx, [{ key, entry: raw }]);
}

export function cachePutMany(ctx: Ctx, raws: ReadonlyArray<{ key: string; entry: CachePutEntry }>): void {
  const entries = raws.map(({ key, entry }) => {
    checkKey(key);
    return { key, entry: parseOptions(CachePutSchema, entry, 'cache entry') };
  });
  const now = ctx.now();
  ctx.sql.write(() => {
    for (const { key, entry } of entries) {
      ctx.sql.run(PUT_SQL, [
        key,
        entry.language,
        entry.source,
        entry.generator,
        JSON.stringify(entry.meta),
        now,
      ]);
    }
  });
}

export function cacheStats(ctx: Ctx): CacheStats {
  const counters = ctx.sql.get<{ hits: number; misses: number }>(
    'SELECT hits, misses FROM cache_counters WHERE id = 1',
  );
  const languages = ctx.sql.all<{ language: string; entries: number; bytes: number }>(
    'SELECT language, count(*) AS entries, sum(bytes) AS bytes FROM cache GROUP BY language ORDER BY language',
  );
  const byLanguage: CacheStats['byLanguage'] = {};
  for (const { language, entries, bytes } of languages) byLanguage[language] = { entries, bytes };
  return {
    entries: languages.reduce((sum, row) => sum + row.entries, 0),
    hits: counters?.hits ?? 0,
    misses: counters?.misses ?? 0,
    bytes: languages.reduce((sum, row) => sum + row.bytes, 0),
    byLanguage,
  };
}

/** Empties the cache and the memo (memo.ts: derived data, re-creatable like the cache) in one transaction. */
export function cacheClear(ctx: Ctx, raw: WhoOpts = {}): CacheCleared {
  const opts = parseOptions(WhoOptsSchema, raw, 'cache clear options');
  return ctx.sql.write(() => {
    const counted = ctx.sql.get<{ entries: number; bytes: number }>(
      'SELECT count(*) AS entries, coalesce(sum(bytes), 0) AS bytes FROM cache',
    ) ?? { entries: 0, bytes: 0 };
    ctx.sql.run('DELETE FROM cache');
    const removed: CacheCleared = { ...counted, memoEntries: memoClear(ctx) };
    ctx.sql.run('UPDATE cache_counters SET hits = 0, misses = 0 WHERE id = 1');
    writeAudit(ctx, {
      at: ctx.now(),
      who: opts.who ?? ctx.who,
      action: 'cache.clear',
      target: 'cache',
      details: removed,
    });
    return removed;
  });
}

/** What a generator may say about what it stores. */
export interface GenerationCacheInfo {
  language?: string;
  generator?: 'template' | 'llm' | 'instrument';
  meta?: Record<string, unknown>;
}

/** The cache as generators consume it (`GenerationCache`): get(key) counts a hit or a miss. */
export interface LibraryGenerationCache {
  get(key: string): string | undefined;
  set(key: string, source: string, info?: GenerationCacheInfo): void;
}

/** Adapts a Library to the generator's cache interface; without `info` the language is `unknown`. */
export function libraryCache(lib: Library): LibraryGenerationCache {
  return {
    get: (key) => lib.cacheGet(key)?.source,
    set: (key, source, info = {}) => {
      lib.cachePut(key, {
        source,
        language: info.language ?? 'unknown',
        generator: info.generator ?? null,
        meta: info.meta ?? {},
      });
    },
  };
}
