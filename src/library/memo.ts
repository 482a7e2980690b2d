/**
 * The memo: derived data kept by namespace and content key, values as JSON — work that can always be
 * redone but is worth not redoing (`scriptbox instrument` keeps each file's analysis here). Unlike the
 * generation cache it counts no hits, so a lookup of many keys is one SELECT, not a write; storing many
 * entries is one transaction. `cache clear` empties it with the cache (cache.ts).
 */
import { InvalidOptionsError } from '../errors.js';
import { parseOptions } from '../parse-options.js';
import { MemoKeySchema, MemoNamespaceSchema, MemoPutOptsSchema, type MemoPutOpts } from './options.js';
import type { Ctx } from './writes.js';

const checkKey = (key: string): string => parseOptions(MemoKeySchema, key, 'memo key');

/** The values stored under `keys` in `namespace` (missing keys are absent from the map). */
export function memoGetMany(ctx: Ctx, namespace: string, keys: readonly string[]): Map<string, unknown> {
  parseOptions(MemoNamespaceSchema, namespace, 'memo namespace');
  const unique = [...new Set(keys)];
  for (const key of unique) checkKey(key);
  const found = new Map<string, unknown>();
  if (unique.length === 0) return found;
  const rows = ctx.sql.all<{ key: string; value: string }>(
    'SELECT key, value FROM memo WHERE namespace = ? AND key IN (SELECT value FROM json_each(?))',
    [namespace, JSON.stringify(unique)],
  );
  for (const row of rows) found.set(row.key, JSON.parse(row.value) as unknown);
  return found;
}

/** Stores (or replaces) entries in `namespace`, all in one transaction. A value must be JSON. */
export function memoPutMany(
  ctx: Ctx,
  namespace: string,
  entries: ReadonlyArray<{ key: string; value: unknown }>,
  raw: MemoPutOpts = {},
): void {
  parseOptions(MemoNamespaceSchema, namespace, 'memo namespace');
  const { keep } = parseOptions(MemoPutOptsSchema, raw, 'memo options');
  const rows = entries.map(({ key, value }) => {
    checkKey(key);
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined)
      throw new InvalidOptionsError(`invalid memo value for ${key}: not JSON`, ['value: not JSON']);
    return [key, json] as const;
  });
  if (rows.length === 0) return;
  const now = ctx.now();
  ctx.sql.write(() => {
    for (const [key, json] of rows) {
      ctx.sql.run(
        `INSERT INTO memo (namespace, key, value, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
        [namespace, key, json, now],
      );
    }
    if (keep === undefined) return;
    const count = ctx.sql.get<{ n: number }>('SELECT count(*) AS n FROM memo WHERE namespace = ?', [
      namespace,
    ]);
    const over = (count?.n ?? 0) - keep;
    if (over > 0)
      ctx.sql.run(
        `DELETE FROM memo WHERE rowid IN
           (SELECT rowid FROM memo WHERE namespace = ? ORDER BY created_at, rowid LIMIT ?)`,
        [namespace, over],
      );
  });
}

/** Deletes every memo entry (inside the caller's transaction); returns how many there were. */
export function memoClear(ctx: Ctx): number {
  return ctx.sql.run('DELETE FROM memo').changes;
}
