/**
 * The limits every sandboxed run has, as the sandbox enforces them (wall and CPU time, cgroup memory and
 * pids, output and work dir caps): one zod schema, the types inferred from it, and the built-in defaults.
 * Server-wide ceilings on them are the engine's (engine/options.ts, engine/ceilings.ts).
 */
import { z } from 'zod';

export const DEFAULT_LIMITS = {
  timeoutMs: 10_000,
  cpuMs: 10_000,
  memoryMb: 256,
  maxProcesses: 64,
  maxOutputBytes: 1_048_576,
  diskMb: 64,
  maxOutFiles: 100,
  maxOutBytes: 32 * 1_048_576,
} as const;

export const LimitsSchema = z
  .object({
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .describe(
        'Wall-clock limit for the whole run in milliseconds; the process tree is killed when it passes',
      ),
    cpuMs: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .describe('CPU time limit in milliseconds, summed over every process of the run'),
    memoryMb: z
      .number()
      .int()
      .min(8)
      .max(65_536)
      .describe(
        'Memory limit in MiB (cgroup memory limit, swap off); files written to the work dir count too',
      ),
    maxProcesses: z
      .number()
      .int()
      .min(2)
      .max(4096)
      .describe('Maximum number of processes and threads alive at once (pids cgroup)'),
    maxOutputBytes: z
      .number()
      .int()
      .min(0)
      .max(1_073_741_824)
      .describe('Maximum bytes kept from each of stdout and stderr; the run is stopped when one exceeds it'),
    diskMb: z.number().int().min(1).max(65_536).describe('Size cap in MiB of the work directory and of /tmp'),
    maxOutFiles: z.number().int().min(0).max(100_000).describe('Maximum number of files returned from out/'),
    maxOutBytes: z
      .number()
      .int()
      .min(0)
      .max(17_179_869_184)
      .describe('Maximum total bytes of files returned from out/'),
  })
  .strict();
export type Limits = z.infer<typeof LimitsSchema>;
export const PartialLimitsSchema = LimitsSchema.partial();
export type PartialLimits = z.infer<typeof PartialLimitsSchema>;

/** An object with every limit's key, from `value`; keys whose value is undefined are left out. */
export function perLimit(value: (key: keyof Limits) => number | undefined): PartialLimits {
  const limits: PartialLimits = {};
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
    const got = value(key);
    if (got !== undefined) limits[key] = got;
  }
  return limits;
}
