/**
 * The library's writes. Each public function is exactly one transaction (Sql.write): the script row,
 * its version, the FTS row and the audit entry commit together or not at all.
 */
import { createHash } from 'node:crypto';
import { parseOptions } from '../parse-options.js';
import type { Sql } from './database.js';
import { LibraryConflictError, LibraryNotFoundError, noSuchScript } from './errors.js';
import { formatScriptName, parseScriptName } from './names.js';
import {
  RunOutcomeSchema,
  SaveOptsSchema,
  UpdateOptsSchema,
  WhoOptsSchema,
  type RunOutcome,
  type SaveOpts,
  type UpdateOpts,
  type WhoOpts,
} from './options.js';
import { readScript } from './reads.js';
import { toRunRecord, type RunRow } from './rows.js';
import type { AuditAction, DeletedScript, RunRecord, ScriptRecord } from './types.js';

/** What every call needs: the connection, the clock, and who acts when a call does not say. */
export interface Ctx {
  sql: Sql;
  now: () => string;
  who: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function writeAudit(
  ctx: Ctx,
  entry: { at: string; who: string; action: AuditAction; target: string; details: object },
): void {
  ctx.sql.run('INSERT INTO audit (at, who, action, target, details) VALUES (?, ?, ?, ?, ?)', [
    entry.at,
    entry.who,
    entry.action,
    entry.target,
    JSON.stringify(entry.details),
  ]);
}

/** Replaces the script's FTS row with its current name, description, tags and source. */
function syncFts(ctx: Ctx, id: number): void {
  ctx.sql.run('DELETE FROM scripts_fts WHERE rowid = ?', [id]);
  ctx.sql.run(
    `INSERT INTO scripts_fts (rowid, name, description, tags, source)
     SELECT s.id, s.name, s.description, (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(s.tags)),
            v.source
     FROM scripts s JOIN versions v ON v.script_id = s.id AND v.n = s.current_version
     WHERE s.id = ?`,
    [id],
  );
}

function insertVersion(
  ctx: Ctx,
  version: { id: number; n: number; source: string; at: string; who: string; note: string | null },
): string {
  const hash = sha256(version.source);
  ctx.sql.run(
    'INSERT INTO versions (script_id, n, source, sha256, created_at, who, note) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [version.id, version.n, version.source, hash, version.at, version.who, version.note],
  );
  return hash;
}

interface Current {
  id: number;
  current_version: number;
  language: string;
}

function current(ctx: Ctx, name: string): Current {
  const row = ctx.sql.get<Current>('SELECT id, current_version, language FROM scripts WHERE name = ?', [
    name,
  ]);
  if (!row) throw noSuchScript(name);
  return row;
}

/**
 * The script of `category` and `task` in `language` whose current version is exactly `source`, if any:
 * saving the same source again (`generate ... --save` run twice) returns it instead of a copy.
 */
function sameScript(ctx: Ctx, opts: { category: string; task: string; language: string; source: string }) {
  return ctx.sql.get<{ name: string }>(
    `SELECT s.name FROM scripts s JOIN versions v ON v.script_id = s.id AND v.n = s.current_version
     WHERE s.category = ? AND s.task = ? AND s.language = ? AND v.sha256 = ? AND v.source = ?
     ORDER BY s.number LIMIT 1`,
    [opts.category, opts.task, opts.language, sha256(opts.source), opts.source],
  );
}

export function saveScript(ctx: Ctx, raw: SaveOpts): ScriptRecord {
  const opts = parseOptions(SaveOptsSchema, raw, 'save options');
  return ctx.sql.write(() => {
    const same = sameScript(ctx, opts);
    // Nothing is written (no number taken, no audit entry): the script asked for is already there.
    if (same) return { ...readScript(ctx.sql, same.name), existed: true };
    const at = ctx.now();
    const who = opts.who ?? ctx.who;
    const numbered = ctx.sql.get<{ last: number }>(
      `INSERT INTO numbering (category, task, last) VALUES (?, ?, 1)
       ON CONFLICT (category, task) DO UPDATE SET last = last + 1 RETURNING last`,
      [opts.category, opts.task],
    );
    const number = numbered?.last ?? 1;
    const name = formatScriptName({ ...opts, number });
    const inserted = ctx.sql.run(
      `INSERT INTO scripts (name, category, task, number, language, description, tags, created_at,
         updated_at, current_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      [
        name,
        opts.category,
        opts.task,
        number,
        opts.language,
        opts.description,
        JSON.stringify(opts.tags),
        at,
        at,
      ],
    );
    const id = Number(inserted.lastInsertRowid);
    const hash = insertVersion(ctx, { id, n: 1, source: opts.source, at, who, note: null });
    syncFts(ctx, id);
    const details = { version: 1, sha256: hash, language: opts.language };
    writeAudit(ctx, { at, who, action: 'save', target: name, details });
    return readScript(ctx.sql, name, 1);
  });
}

export function updateScript(ctx: Ctx, name: string, raw: UpdateOpts): ScriptRecord {
  parseScriptName(name);
  const opts = parseOptions(UpdateOptsSchema, raw, 'update options');
  return ctx.sql.write(() => {
    const at = ctx.now();
    const who = opts.who ?? ctx.who;
    const script = current(ctx, name);
    if (opts.baseVersion !== undefined && opts.baseVersion !== script.current_version) {
      throw new LibraryConflictError(
        `${name} is at version ${script.current_version}, not ${opts.baseVersion}: it changed meanwhile; ` +
          'read it again and reapply your change',
        { data: { name, currentVersion: script.current_version, baseVersion: opts.baseVersion } },
      );
    }
    const n = script.current_version + 1;
    const hash = insertVersion(ctx, {
      id: script.id,
      n,
      source: opts.source,
      at,
      who,
      note: opts.note ?? null,
    });
    ctx.sql.run('UPDATE scripts SET current_version = ?, updated_at = ? WHERE id = ?', [n, at, script.id]);
    syncFts(ctx, script.id);
    const details = { version: n, sha256: hash, ...(opts.note !== undefined ? { note: opts.note } : {}) };
    writeAudit(ctx, { at, who, action: 'update', target: name, details });
    return readScript(ctx.sql, name, n);
  });
}

export function deleteScript(ctx: Ctx, name: string, raw: WhoOpts = {}): DeletedScript {
  parseScriptName(name);
  const opts = parseOptions(WhoOptsSchema, raw, 'delete options');
  return ctx.sql.write(() => {
    const at = ctx.now();
    const script = current(ctx, name);
    const count = (table: 'versions' | 'runs') =>
      ctx.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE script_id = ?`, [script.id])?.n ??
      0;
    const deleted = { name, versions: count('versions'), runs: count('runs') };
    const last = readScript(ctx.sql, name, script.current_version);
    ctx.sql.run('DELETE FROM scripts_fts WHERE rowid = ?', [script.id]);
    ctx.sql.run('DELETE FROM scripts WHERE id = ?', [script.id]);
    const details = {
      versions: deleted.versions,
      runs: deleted.runs,
      language: script.language,
      lastVersion: last.version,
      sha256: last.sha256,
    };
    writeAudit(ctx, { at, who: opts.who ?? ctx.who, action: 'delete', target: name, details });
    return deleted;
  });
}

export function recordRun(ctx: Ctx, name: string, version: number, raw: RunOutcome, who: string): RunRecord {
  parseScriptName(name);
  const result = parseOptions(RunOutcomeSchema, raw, 'run result');
  const by = parseOptions(WhoOptsSchema, { who }, 'recordRun who').who ?? ctx.who;
  return ctx.sql.write(() => {
    const script = current(ctx, name);
    const exists = ctx.sql.get('SELECT 1 FROM versions WHERE script_id = ? AND n = ?', [script.id, version]);
    if (exists === undefined) {
      throw new LibraryNotFoundError(
        `${name} has no version ${version} (it has 1 to ${script.current_version})`,
      );
    }
    const kind = result.error?.kind ?? (result.ok ? 'ok' : 'failed');
    const usage = [result.usage.wallMs, result.usage.cpuMs, result.usage.peakMemoryBytes].map(Math.round);
    const row = ctx.sql.get<RunRow>(
      `INSERT INTO runs (script_id, version, who, at, ok, kind, exit_code, wall_ms, cpu_ms, peak_memory_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       RETURNING id, ? AS name, version, who, at, ok, kind, exit_code, wall_ms, cpu_ms, peak_memory_bytes`,
      [script.id, version, by, ctx.now(), result.ok ? 1 : 0, kind, result.exitCode, ...usage, name],
    );
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return toRunRecord(row);
  });
}
