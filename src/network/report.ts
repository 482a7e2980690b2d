/**
 * What a run did on the network, as the proxy saw it (RunResult.network), and the accounting behind it:
 * counters, the statuses seen, refused destinations (capped, with how many were dropped) and the first
 * limit hit.
 */
import { z } from 'zod';

export const MAX_REFUSED = 100;
export const MAX_STATUSES = 1000;

export const LIMIT_NAMES = ['maxBytesIn', 'maxBytesOut', 'maxRequests'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export const NetworkReportSchema = z.object({
  requests: z
    .number()
    .int()
    .min(0)
    .describe('Requests made: plain HTTP requests, CONNECT tunnels, SOCKS5 connections'),
  bytesIn: z.number().int().min(0).describe('Bytes received from the network (upstream to sandbox)'),
  bytesOut: z.number().int().min(0).describe('Bytes sent to the network (sandbox to upstream)'),
  statuses: z
    .array(z.number().int())
    .describe(`HTTP statuses of plain HTTP responses, in order (the first ${MAX_STATUSES})`),
  refused: z
    .array(
      z.object({
        destination: z.string().describe('host:port as the sandbox asked for it'),
        reason: z.string().describe('why it was refused or failed, and what to do'),
      }),
    )
    .describe(`Refused or failed destinations, in order (the first ${MAX_REFUSED})`),
  refusedDropped: z.number().int().min(0).describe('Refusals past the first ones, not listed'),
  limit: z
    .object({
      which: z.enum(LIMIT_NAMES).describe('The limit that was hit'),
      message: z.string().describe('What happened and what to do'),
    })
    .nullable()
    .describe('The limit that closed every connection of the run, or null'),
});

export type NetworkReport = z.infer<typeof NetworkReportSchema>;

/** A run's accounting; the proxy keeps one and starts a new one per run. */
export class RunAccounting {
  requests = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly statuses: number[] = [];
  readonly refused: { destination: string; reason: string }[] = [];
  refusedDropped = 0;
  limit: NetworkReport['limit'] = null;

  refuse(destination: string, reason: string): void {
    if (this.refused.length < MAX_REFUSED) this.refused.push({ destination, reason });
    else this.refusedDropped += 1;
  }

  status(code: number): void {
    if (this.statuses.length < MAX_STATUSES) this.statuses.push(code);
  }

  report(): NetworkReport {
    return {
      requests: this.requests,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      statuses: [...this.statuses],
      refused: this.refused.map((r) => ({ ...r })),
      refusedDropped: this.refusedDropped,
      limit: this.limit ? { ...this.limit } : null,
    };
  }
}
