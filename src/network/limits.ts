/** The per-run limits of a sandbox's egress (enforced by the proxy): one zod schema and the defaults. */
import { z } from 'zod';

export const NetworkLimitsSchema = z
  .object({
    maxBytesIn: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 ** 3)
      .describe(
        'Maximum bytes received from the network (upstream to sandbox) in one run; every connection is closed past it',
      ),
    maxBytesOut: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 ** 3)
      .describe(
        'Maximum bytes sent to the network (sandbox to upstream) in one run; every connection is closed past it',
      ),
    maxRequests: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .describe(
        'Maximum requests in one run: each plain HTTP request, CONNECT tunnel and SOCKS5 connection counts one',
      ),
    connectTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(600_000)
      .describe('Time allowed to resolve a destination and open the TCP connection to it, in milliseconds'),
    idleTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .describe('A connection with no bytes either way for this many milliseconds is closed'),
  })
  .partial()
  .strict();

export type NetworkLimits = Required<z.infer<typeof NetworkLimitsSchema>>;

export const DEFAULT_NETWORK_LIMITS: NetworkLimits = {
  maxBytesIn: 256 * 1024 ** 2,
  maxBytesOut: 64 * 1024 ** 2,
  maxRequests: 256,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
};
