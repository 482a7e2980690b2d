/**
 * What an extraction ends with (the seed's ExecutionResult and SourceResult): per source `ok`, its records,
 * an error saying what failed and what to do, and metadata (time, bytes, requests, HTTP statuses, record
 * count); plus a summary. One zod schema each; the types are inferred, and the HTTP API and the MCP tool
 * document and validate with the same schemas.
 */
import { z } from 'zod';
import { ERROR_KINDS } from '../../engine/result.js';
import { SourceSchema } from './sources.js';

/**
 * What failed for a source: `timeout` (its wall-clock or CPU limit), `syntax` (the script does not parse),
 * `network` (refused or failed egress, or a network limit), `runtime` (the script failed, or hit a memory,
 * process or disk limit), `output` (what it printed is not records), `cancelled`, `sandbox` (the host's
 * failure, not the script's).
 */
export const EXTRACT_ERROR_KINDS = [
  'timeout',
  'syntax',
  'network',
  'runtime',
  'output',
  'cancelled',
  'sandbox',
] as const;
export type ExtractErrorKind = (typeof EXTRACT_ERROR_KINDS)[number];

export const ExtractErrorSchema = z.object({
  kind: z.enum(EXTRACT_ERROR_KINDS).describe('What failed: timeout, syntax, network, runtime, output, ...'),
  message: z.string().describe('What happened, in words'),
  hint: z.string().describe('What to do about it'),
  runKind: z
    .enum(ERROR_KINDS)
    .nullable()
    .describe("The run's own error kind (memory, cpu, ...); null when the run itself succeeded"),
  line: z.number().int().optional().describe('1-based line of the script, when known (syntax errors)'),
});
export type ExtractError = z.infer<typeof ExtractErrorSchema>;

const count = z.number().int().min(0);

export const SourceMetadataSchema = z.object({
  durationMs: z.number().min(0).describe("Wall-clock time of the source's run"),
  cpuMs: z.number().min(0).describe("CPU time of the source's run (what a server charges for it)"),
  bytesIn: count.describe('Bytes received from the network'),
  bytesOut: count.describe('Bytes sent to the network'),
  requests: count.describe('Requests and connections the script made through the egress proxy'),
  statuses: z.array(z.number().int()).describe('HTTP statuses the proxy saw, in order'),
  refused: z
    .array(z.object({ destination: z.string(), reason: z.string() }))
    .describe('Destinations the proxy refused, with why'),
  recordCount: count.describe('Records the script printed (0 when it failed)'),
});
export type SourceMetadata = z.infer<typeof SourceMetadataSchema>;

export const ExtractRecordSchema = z
  .record(z.string(), z.unknown())
  .describe('One record the script printed');

export const SourceResultSchema = z.object({
  index: z.number().int().min(0).describe('Position of the source in the sources'),
  url: z.string().describe("The source's URL"),
  source: SourceSchema.describe('The source as given (what the script got on stdin)'),
  ok: z.boolean().describe('True when the script ran and printed records'),
  records: z.array(ExtractRecordSchema).describe('The records, in the order printed; empty on failure'),
  error: ExtractErrorSchema.nullable().describe('What failed; null when ok'),
  metadata: SourceMetadataSchema,
  stderr: z.string().describe("The end of the script's stderr (at most 4000 characters), for diagnosis"),
});
export type SourceResult = z.infer<typeof SourceResultSchema>;

export const ExtractSummarySchema = z.object({
  sources: count,
  succeeded: count,
  failed: count,
  records: count.describe('Records over every source'),
  durationMs: z.number().min(0).describe('Wall-clock time of the whole extraction'),
  byKind: z
    .partialRecord(z.enum(['ok', ...EXTRACT_ERROR_KINDS]), count)
    .describe('Sources per outcome, e.g. { ok: 17, network: 1, output: 1, timeout: 1 }'),
});
export type ExtractSummary = z.infer<typeof ExtractSummarySchema>;

export const ExtractionResultSchema = z
  .object({
    ok: z.boolean().describe('True when every source succeeded'),
    language: z.string().describe('The runtime the script ran in'),
    sources: z.array(SourceResultSchema).describe('One result per source, in input order'),
    summary: ExtractSummarySchema,
  })
  .describe('Per source results in input order, and a summary; a failing source never stops the others');
export type ExtractionResult = z.infer<typeof ExtractionResultSchema>;

/** Progress after each source: counts so far, and the source that just finished. */
export interface ExtractProgress {
  done: number;
  total: number;
  succeeded: number;
  failed: number;
  index: number;
  url: string;
  kind: 'ok' | ExtractErrorKind;
}
