/**
 * CPU seconds per UTC day, charged per principal in the library database (table cpu_usage), so a
 * restart does not hand out a fresh quota. Callers without a token share the `anonymous` row.
 */
import type { Sql } from '../library/database.js';

/** `2025-03-14`: the UTC day of a millisecond timestamp. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whole seconds (at least 1) from `ms` to the next UTC midnight, when the quota starts over. */
export function secondsToNextUtcDay(ms: number): number {
  const date = new Date(ms);
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - ms) / 1000));
}

/** CPU milliseconds charged to `principal` on `day`. */
export function usedCpuMs(sql: Sql, principal: string, day: string): number {
  return (
    sql.get<{ cpu_ms: number }>('SELECT cpu_ms FROM cpu_usage WHERE principal = ? AND day = ?', [
      principal,
      day,
    ])?.cpu_ms ?? 0
  );
}

/** Adds `cpuMs` (whole milliseconds) to `principal`'s row for `day`. */
export function addCpuMs(sql: Sql, principal: string, day: string, cpuMs: number): void {
  sql.write(() =>
    sql.run(
      `INSERT INTO cpu_usage (principal, day, cpu_ms) VALUES (?, ?, ?)
       ON CONFLICT (principal, day) DO UPDATE SET cpu_ms = cpu_ms + excluded.cpu_ms`,
      [principal, day, cpuMs],
    ),
  );
}
