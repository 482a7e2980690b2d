/**
 * What the HTTP and MCP faces need from the service guard (tokens, rate limits, quotas, audit). The guard
 * itself is src/access/guard.ts; faces depend only on this shape.
 */

/** Who is calling: a token's id and name, or `anonymous` when no tokens exist yet (localhost setups). */
export interface Principal {
  tokenId: string | null;
  name: string;
}

export interface ServiceGuard {
  /** True when at least one token exists: then every route but health needs one. */
  readonly tokensRequired: boolean;
  /**
   * The caller of a request from its `Authorization: Bearer <token>` header value (undefined when absent).
   * Throws ScriptboxError UNAUTHORIZED (HTTP 401) for a missing or unknown token when tokens are required.
   */
  authenticate(authorization: string | undefined): Principal;
  /**
   * Admits one run (or generation) for `principal`, or throws ScriptboxError RATE_LIMITED (HTTP 429) with
   * `data.retryAfterSeconds`: runs per minute (token bucket) and CPU seconds per day (the quota).
   */
  admitRun(principal: Principal): void;
  /**
   * Checks that `principal`'s token may be granted every network destination in `allow` (a run's,
   * session's or extraction's request); throws NetworkNotPermittedError (HTTP 403) naming the ones its
   * token does not cover. The server's own policy is the engine's to enforce.
   */
  admitNetwork(principal: Principal, allow: readonly string[]): void;
  /** Adds a finished run's CPU time to the principal's daily quota. */
  chargeCpu(principal: Principal, cpuMs: number): void;
  /** Records who did what to what, and how it ended, in the library's audit log. */
  audit(principal: Principal, action: string, target: string, details: Record<string, unknown>): void;
}
