/**
 * createGuard(): the service's security checks for the HTTP and MCP faces (the shape is guard-types.ts).
 *
 * - Tokens are read from the library on every request, so a token created or revoked by
 *   `scriptbox tokens` (another process) takes effect on the next request, without a restart.
 * - Runs per minute: a token bucket per principal, in memory (rate-limit.ts).
 * - CPU seconds per day: charged per principal per UTC day in the library (quota.ts). A run is admitted
 *   while the day's total is under the quota, so the last admitted run may go over by its own CPU time.
 * - Audit: one row in the library's audit table, who = the principal's name.
 */
import { z } from 'zod';
import { parseOptions } from '../parse-options.js';
import { InvalidOptionsError, NetworkNotPermittedError, ScriptboxError } from '../errors.js';
import type { Library } from '../library/index.js';
import type { Sql } from '../library/database.js';
import { libraryContext } from '../library/library.js';
import { writeAudit } from '../library/writes.js';
import { AllowList } from '../network/allowlist.js';
import type { Principal, ServiceGuard } from './guard-types.js';
import { addCpuMs, secondsToNextUtcDay, usedCpuMs, utcDay } from './quota.js';
import { RateLimiter } from './rate-limit.js';
import { DEFAULT_TOKEN_LIMITS, TokenLimitsSchema, type TokenLimits } from './token-limits.js';
import {
  ANONYMOUS,
  anyLiveToken,
  findBySecret,
  markUsed,
  TOKEN_FORM,
  tokenById,
  type TokenInfo,
} from './tokens.js';

export interface GuardOpts {
  /** An open library (openLibrary()); the guard uses its connection and never closes it. */
  library: Library;
  /** Milliseconds since the epoch (default Date.now): rate limits, quota days, audit and last-used times. */
  now?: () => number;
  /** Limits for tokens created without their own, and for anonymous callers. */
  defaults?: Partial<TokenLimits>;
}

/** The server's per-token limits: each one given, or DEFAULT_TOKEN_LIMITS's. */
const DefaultsSchema = z
  .object({
    runsPerMinute: TokenLimitsSchema.shape.runsPerMinute.default(DEFAULT_TOKEN_LIMITS.runsPerMinute),
    cpuSecondsPerDay: TokenLimitsSchema.shape.cpuSecondsPerDay.default(DEFAULT_TOKEN_LIMITS.cpuSecondsPerDay),
  })
  .strict();

/** last_used_at is written at most this often per token, so authentication is not a write per request. */
const TOUCH_INTERVAL_MS = 60_000;
const BEARER = /^Bearer[ \t]+(\S+)$/i;

export const ANONYMOUS_PRINCIPAL: Readonly<Principal> = { tokenId: null, name: ANONYMOUS };

type Refusal = 'missing' | 'malformed' | 'unknown' | 'revoked';

const HOW = 'create one with `scriptbox tokens create --name NAME`';

function unauthorized(reason: Refusal): ScriptboxError {
  const message = {
    missing: `this scriptbox needs an API token: send \`Authorization: Bearer sbx_...\` (${HOW})`,
    malformed: 'the Authorization header is not `Bearer sbx_...` with a scriptbox API token',
    unknown: `unknown API token (${HOW})`,
    revoked: `this API token was revoked (${HOW})`,
  }[reason];
  return new ScriptboxError('UNAUTHORIZED', message, { data: { reason } });
}

export function createGuard(opts: GuardOpts): ServiceGuard {
  const { library } = opts;
  const clock = opts.now ?? Date.now;
  const defaults: TokenLimits = parseOptions(DefaultsSchema, opts.defaults ?? {}, 'guard defaults');
  const limiter = new RateLimiter(clock);
  const touched = new Map<string, number>();
  const sql = (): Sql => libraryContext(library).sql;
  const iso = (ms: number): string => new Date(ms).toISOString();

  function touch(id: string): void {
    const now = clock();
    const last = touched.get(id);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS && now >= last) return;
    touched.set(id, now);
    markUsed(sql(), id, iso(now));
  }

  function limitsOf(principal: Principal): TokenLimits {
    const token = tokenOf(principal);
    if (token === null) return defaults;
    return {
      runsPerMinute: token.runsPerMinute ?? defaults.runsPerMinute,
      cpuSecondsPerDay: token.cpuSecondsPerDay ?? defaults.cpuSecondsPerDay,
    };
  }

  function tokenOf(principal: Principal): TokenInfo | null {
    if (principal.tokenId === null) return null;
    const token = tokenById(sql(), principal.tokenId);
    if (!token) throw unauthorized('unknown');
    if (token.revokedAt !== null) throw unauthorized('revoked');
    return token;
  }

  return {
    get tokensRequired(): boolean {
      return anyLiveToken(sql());
    },

    authenticate(authorization: string | undefined): Principal {
      const required = anyLiveToken(sql());
      // A header that is there is always checked: a wrong or revoked token is an error even when the
      // server would let the caller in without one, so a client never believes it is authenticated.
      if (authorization === undefined || authorization.trim() === '') {
        if (required) throw unauthorized('missing');
        return { ...ANONYMOUS_PRINCIPAL };
      }
      const secret = BEARER.exec(authorization.trim())?.[1];
      if (secret === undefined || !TOKEN_FORM.test(secret)) throw unauthorized('malformed');
      const token = findBySecret(sql(), secret);
      if (!token) throw unauthorized('unknown');
      if (token.revokedAt !== null) throw unauthorized('revoked');
      touch(token.id);
      return { tokenId: token.id, name: token.name };
    },

    admitRun(principal: Principal): void {
      const limits = limitsOf(principal);
      const key = principal.tokenId ?? ANONYMOUS;
      const now = clock();
      const usedMs = usedCpuMs(sql(), key, utcDay(now));
      if (usedMs >= limits.cpuSecondsPerDay * 1000) {
        const retryAfterSeconds = secondsToNextUtcDay(now);
        throw new ScriptboxError(
          'RATE_LIMITED',
          `${principal.name} has used its ${limits.cpuSecondsPerDay} CPU seconds for today (UTC); ` +
            `the quota starts over in ${retryAfterSeconds} s`,
          { data: { retryAfterSeconds, limit: 'cpuSecondsPerDay', quota: limits.cpuSecondsPerDay, usedMs } },
        );
      }
      const retryAfterSeconds = limiter.take(key, limits.runsPerMinute);
      if (retryAfterSeconds > 0) {
        throw new ScriptboxError(
          'RATE_LIMITED',
          `${principal.name} may start ${limits.runsPerMinute} runs a minute; retry in ${retryAfterSeconds} s`,
          { data: { retryAfterSeconds, limit: 'runsPerMinute', quota: limits.runsPerMinute } },
        );
      }
    },

    admitNetwork(principal: Principal, allow: readonly string[]): void {
      const granted = tokenOf(principal)?.netAllow;
      if (granted === null || granted === undefined || allow.length === 0) return;
      const uncovered = AllowList.parse(granted).uncovered(AllowList.parse(allow, 'network.allow'));
      if (uncovered.length === 0) return;
      throw new NetworkNotPermittedError(
        `the API token of ${principal.name} may not reach ${uncovered.join(', ')}; it may be granted ` +
          `${granted.join(', ')} (ask for those, or for a token that allows more)`,
        { data: { uncovered, allowed: granted } },
      );
    },

    chargeCpu(principal: Principal, cpuMs: number): void {
      if (!Number.isFinite(cpuMs) || cpuMs < 0) {
        throw new InvalidOptionsError(`invalid CPU time ${cpuMs}`, ['cpuMs: a finite number from 0']);
      }
      const ms = Math.round(cpuMs);
      if (ms === 0) return;
      addCpuMs(sql(), principal.tokenId ?? ANONYMOUS, utcDay(clock()), ms);
    },

    audit(principal: Principal, action: string, target: string, details: Record<string, unknown>): void {
      const ctx = libraryContext(library);
      try {
        JSON.stringify(details);
      } catch (cause) {
        throw new ScriptboxError('INTERNAL', `audit details for ${action} are not JSON`, { cause });
      }
      const entry = {
        at: iso(clock()),
        who: principal.name,
        action,
        target,
        // The id tells apart two tokens that had the same name at different times.
        details: { ...details, tokenId: principal.tokenId },
      };
      ctx.sql.write(() => writeAudit(ctx, entry));
    },
  };
}
