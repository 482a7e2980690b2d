/**
 * What one caller may use of the service: runs a minute and CPU seconds a day, per API token (anonymous
 * callers share the server's defaults). Not to be confused with a run's own limits (DEFAULT_LIMITS in
 * sandbox/limits.ts: time, memory, processes of one run).
 */
import { z } from 'zod';

export const TokenLimitsSchema = z
  .object({
    runsPerMinute: z.number().int().min(1).max(1_000_000).describe('Runs and generations a minute'),
    cpuSecondsPerDay: z.number().int().min(1).max(86_400_000).describe('CPU seconds a UTC day over all runs'),
  })
  .strict();
export type TokenLimits = z.infer<typeof TokenLimitsSchema>;

/** The server's defaults, for tokens created without their own limits and for anonymous callers. */
export const DEFAULT_TOKEN_LIMITS: Readonly<TokenLimits> = { runsPerMinute: 60, cpuSecondsPerDay: 3600 };
