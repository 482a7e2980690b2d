/**
 * Who may use the service and how much: API tokens, and the guard (rate limits, quotas, audit) the HTTP and
 * MCP faces put in front of runs.
 */
export type { Principal, ServiceGuard } from './guard-types.js';
export { ANONYMOUS_PRINCIPAL, createGuard, type GuardOpts } from './guard.js';
export { DEFAULT_TOKEN_LIMITS, TokenLimitsSchema, type TokenLimits } from './token-limits.js';
export {
  ANONYMOUS,
  CreateTokenOptsSchema,
  createToken,
  listTokens,
  revokeToken,
  TOKEN_FORM,
  TOKEN_PREFIX,
  type CreatedToken,
  type CreateTokenOpts,
  type TokenInfo,
} from './tokens.js';
