/**
 * API tokens for the service faces, kept in the library database.
 *
 * A token is `sbx_` + 32 random bytes in base64url: the prefix makes a leaked token recognisable (secret
 * scanners, logs), the 256 random bits make guessing hopeless. It is shown once, by createToken(); the
 * database keeps only its sha256. A slow password hash (bcrypt, scrypt, argon2) buys nothing here: it
 * exists to make guessing low-entropy *passwords* from a stolen hash expensive, and nobody enumerates
 * 2^256 secrets, fast hash or not. It would cost every request tens of milliseconds, and its per-hash
 * salt would forbid finding a token by an indexed lookup of its hash. sha256 is a one-way function, so
 * a stolen database (or backup) gives no usable token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseOptions } from '../parse-options.js';
import { LibraryConflictError, LibraryNotFoundError, type Library } from '../library/index.js';
import type { Sql } from '../library/database.js';
import { libraryContext } from '../library/library.js';
import { writeAudit } from '../library/writes.js';
import { parseAllowRule } from '../network/allowlist.js';
import { DEFAULT_TOKEN_LIMITS, TokenLimitsSchema } from './token-limits.js';

export const TOKEN_PREFIX = 'sbx_';
/** The form of a token: the prefix, then 32 bytes in unpadded base64url (43 characters). */
export const TOKEN_FORM = /^sbx_[A-Za-z0-9_-]{43}$/;
export const TOKEN_ID_FORM = /^tok_[0-9a-f]{12}$/;
/** The name of the caller when no tokens exist; no token may take it. */
export const ANONYMOUS = 'anonymous';

const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/,
    'a token name is 1 to 64 letters, digits and _ . @ - (like ci or alice@laptop)',
  )
  .refine((name) => name.toLowerCase() !== ANONYMOUS, `${ANONYMOUS} is the name of callers without a token`)
  .describe('Who uses the token: the audit log records it as who');

/** Network allowlist entries, each checked as the proxy will read it. */
const NetAllowSchema = z.array(z.string()).superRefine((entries, ctx) => {
  for (const [index, entry] of entries.entries()) {
    try {
      parseAllowRule(entry);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: [index], message: (err as Error).message });
    }
  }
});

const WhoSchema = z.string().min(1).max(200).describe('Who creates or revokes it (default: the library who)');

export const CreateTokenOptsSchema = z
  .object({
    name: NameSchema,
    runsPerMinute: TokenLimitsSchema.shape.runsPerMinute
      .optional()
      .describe(
        `Runs and generations a minute (default: the server default, ${DEFAULT_TOKEN_LIMITS.runsPerMinute} unless configured)`,
      ),
    cpuSecondsPerDay: TokenLimitsSchema.shape.cpuSecondsPerDay
      .optional()
      .describe(
        `CPU seconds a UTC day over all runs (default: the server default, ${DEFAULT_TOKEN_LIMITS.cpuSecondsPerDay} unless configured)`,
      ),
    netAllow: NetAllowSchema.optional().describe(
      "Network destinations this token's runs may be granted, within the server's own policy " +
        '(default: as much as the server allows)',
    ),
    who: WhoSchema.optional(),
  })
  .strict();
export type CreateTokenOpts = z.input<typeof CreateTokenOptsSchema>;

const TokenIdSchema = z.string().regex(TOKEN_ID_FORM, 'a token id looks like tok_ and 12 hex digits');
const RevokeOptsSchema = z.object({ who: WhoSchema.optional() }).strict();

/** What createToken() returns: the only time the secret is shown. */
export interface CreatedToken {
  id: string;
  name: string;
  token: string;
}

/** A token as listed: everything but the secret (and its hash). Limits are null for the server default. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  runsPerMinute: number | null;
  cpuSecondsPerDay: number | null;
  /** Network allowlist entries of the token; null: the server's policy. */
  netAllow: string[] | null;
}

interface TokenRow {
  id: string;
  name: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  runs_per_minute: number | null;
  cpu_seconds_per_day: number | null;
  net_allow: string | null;
}

const COLUMNS =
  'id, name, hash, created_at, last_used_at, revoked_at, runs_per_minute, cpu_seconds_per_day, net_allow';

/** A stored allowlist (written by createToken as a JSON array of strings). */
function parseNetAllow(text: string | null): string[] | null {
  if (text === null) return null;
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}

function toInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    runsPerMinute: row.runs_per_minute,
    cpuSecondsPerDay: row.cpu_seconds_per_day,
    netAllow: parseNetAllow(row.net_allow),
  };
}

/** sha256 (hex) of the whole token, prefix included: what the database keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a token; the secret is in the result and nowhere else. A live token's name is unique. */
export function createToken(library: Library, raw: CreateTokenOpts): CreatedToken {
  const opts = parseOptions(CreateTokenOptsSchema, raw, 'token options');
  const ctx = libraryContext(library);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = `tok_${randomBytes(6).toString('hex')}`;
  const limits = {
    runsPerMinute: opts.runsPerMinute ?? null,
    cpuSecondsPerDay: opts.cpuSecondsPerDay ?? null,
    netAllow: opts.netAllow ?? null,
  };
  ctx.sql.write(() => {
    const taken = ctx.sql.get<{ id: string }>('SELECT id FROM tokens WHERE name = ? AND revoked_at IS NULL', [
      opts.name,
    ]);
    if (taken) {
      throw new LibraryConflictError(
        `a token named ${opts.name} exists (${taken.id}); revoke it first or choose another name`,
        { data: { name: opts.name, id: taken.id } },
      );
    }
    const at = ctx.now();
    ctx.sql.run(
      `INSERT INTO tokens (id, name, hash, created_at, runs_per_minute, cpu_seconds_per_day, net_allow)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        opts.name,
        hashToken(token),
        at,
        limits.runsPerMinute,
        limits.cpuSecondsPerDay,
        limits.netAllow === null ? null : JSON.stringify(limits.netAllow),
      ],
    );
    const details = { name: opts.name, ...limits };
    writeAudit(ctx, { at, who: opts.who ?? ctx.who, action: 'token.create', target: id, details });
  });
  return { id, name: opts.name, token };
}

/** Every token, live and revoked, oldest first; never a secret or a hash. */
export function listTokens(library: Library): TokenInfo[] {
  return libraryContext(library)
    .sql.all<TokenRow>(`SELECT ${COLUMNS} FROM tokens ORDER BY created_at, id`)
    .map(toInfo);
}

/** Revokes a token at once (the guard reads tokens on every request). Revoking twice changes nothing. */
export function revokeToken(library: Library, id: string, raw: { who?: string } = {}): TokenInfo {
  const tokenId = parseOptions(TokenIdSchema, id, 'token id');
  const opts = parseOptions(RevokeOptsSchema, raw, 'revoke options');
  const ctx = libraryContext(library);
  return ctx.sql.write(() => {
    const row = rowById(ctx.sql, tokenId);
    if (!row) {
      throw new LibraryNotFoundError(`no token ${tokenId}; see \`scriptbox tokens list\``, {
        data: { id: tokenId },
      });
    }
    if (row.revoked_at !== null) return toInfo(row);
    const at = ctx.now();
    ctx.sql.run('UPDATE tokens SET revoked_at = ? WHERE id = ?', [at, tokenId]);
    const details = { name: row.name };
    writeAudit(ctx, { at, who: opts.who ?? ctx.who, action: 'token.revoke', target: tokenId, details });
    return toInfo({ ...row, revoked_at: at });
  });
}

// The guard's reads and writes.

function rowById(sql: Sql, id: string): TokenRow | undefined {
  return sql.get<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE id = ?`, [id]);
}

/** A token by id, revoked or not. */
export function tokenById(sql: Sql, id: string): TokenInfo | undefined {
  const row = rowById(sql, id);
  return row && toInfo(row);
}

/**
 * The stored token a presented secret belongs to, revoked or not. The lookup is by hash, so its timing
 * can only tell an attacker about the sha256 of their guess, which says nothing about a real token; the
 * final comparison of the digests is constant-time all the same.
 */
export function findBySecret(sql: Sql, token: string): TokenInfo | undefined {
  const digest = hashToken(token);
  const row = sql.get<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE hash = ?`, [digest]);
  if (!row) return undefined;
  const same = timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(digest, 'hex'));
  return same ? toInfo(row) : undefined;
}

/** True when at least one token is not revoked (one small index read). */
export function anyLiveToken(sql: Sql): boolean {
  return (
    sql.get<{ one: number }>('SELECT 1 AS one FROM tokens WHERE revoked_at IS NULL LIMIT 1') !== undefined
  );
}

export function markUsed(sql: Sql, id: string, at: string): void {
  sql.write(() => sql.run('UPDATE tokens SET last_used_at = ? WHERE id = ?', [at, id]));
}
