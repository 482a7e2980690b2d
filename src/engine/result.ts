/**
 * The result of one run: the same object the library returns and `scriptbox run --json` prints. One zod
 * schema (RunResultSchema) describes it; the TypeScript types are inferred from it, and the faces (tools,
 * HTTP, OpenAPI) document and validate with the same schema.
 */
import { z } from 'zod';
import { NetworkReportSchema } from '../network/report.js';
import {
  LIMIT_KINDS,
  OutputFileInfoSchema,
  OutputItemSchema,
  RunErrorSchema,
  SkippedFileSchema,
  type ErrorKind,
} from '../sandbox/result-types.js';

// A run's error kinds and out/ files are what the sandbox reports (sandbox/result-types.ts).
export {
  ERROR_KINDS,
  MimeBundleSchema,
  OUTPUT_MIME_TYPES,
  OutputFileInfoSchema,
  OutputItemSchema,
  type MimeBundle,
  type OutputItem,
  RunErrorSchema,
  SkippedFileSchema,
  type ErrorKind,
  type OutputFileInfo,
  type RunError,
  type SkippedFile,
} from '../sandbox/result-types.js';

export const RunUsageSchema = z.object({
  wallMs: z.number().min(0).describe('Wall-clock time of the run'),
  cpuMs: z.number().min(0).describe('CPU time of every process of the run'),
  peakMemoryBytes: z.number().min(0).describe('Peak memory of the run, in bytes'),
});
export type RunUsage = z.infer<typeof RunUsageSchema>;

export const SEVERITIES = ['error', 'warning'] as const;

/** A static-check finding reported with a run: the checker's Finding (check/types.ts) is this schema. */
export const RunFindingSchema = z.object({
  rule: z.string().describe('Stable rule id, like py/process-spawn'),
  severity: z.enum(SEVERITIES),
  message: z
    .string()
    .describe('What was found, why it is refused, and that the sandbox would contain it anyway'),
  line: z.number().int().describe('1-based line'),
  column: z
    .number()
    .int()
    .describe('1-based column in UTF-16 code units (as acorn, V8 and the runners count)'),
});
export type RunFinding = z.infer<typeof RunFindingSchema>;

export const RunResultSchema = z
  .object({
    ok: z.boolean().describe('True when the script exited 0 within every limit'),
    language: z.string().describe('The runtime that ran it'),
    exitCode: z
      .number()
      .int()
      .nullable()
      .describe('The exit code; null when a signal ended the script or it never started'),
    signal: z
      .string()
      .nullable()
      .describe('The signal that ended the script, like SIGKILL; null when none did'),
    stdout: z.string(),
    stderr: z.string(),
    truncated: z
      .object({ stdout: z.boolean(), stderr: z.boolean() })
      .describe('Which streams were cut at limits.maxOutputBytes'),
    error: RunErrorSchema.nullable().describe(
      'Why the run failed: timeout, memory, syntax, rejected, runtime, ...; null when ok',
    ),
    usage: RunUsageSchema,
    outputs: z
      .array(OutputItemSchema)
      .describe(
        'Rich outputs in order, as Jupyter mime bundles: matplotlib figures (shown, or open when the run ' +
          'ended) as image/png, what display(obj) showed (Python: a builtin, no import needed), a session ' +
          "cell's final expression (type result); empty when none",
      ),
    files: z
      .array(OutputFileInfoSchema)
      .describe('Files the script wrote under out/, by path; small ones with their content (base64)'),
    filesSkipped: z
      .array(SkippedFileSchema)
      .describe(
        'Files under out/ not returned, and why: over limits.maxOutFiles or limits.maxOutBytes, a symlink, ' +
          'a special file, ... (empty when none)',
      ),
    scriptHash: z.string().describe('sha256 (hex) of the script source as given'),
    network: NetworkReportSchema.optional().describe(
      'What the run did on the network, as the egress proxy saw it; present only when network was granted',
    ),
    state: z
      .enum(['updated', 'kept', 'reset', 'fresh'])
      .optional()
      .describe(
        'Session runs only: updated (the state is what this run left), kept (the run died: a limit, a crash, ' +
          'os._exit; the state is exactly as before it), reset (the state was lost; the run started from an ' +
          'empty one), fresh (the session runs every script in a fresh process)',
      ),
    findings: z
      .array(RunFindingSchema)
      .optional()
      .describe('Static-check findings, when the run was checked (checks warn or strict) and there were any'),
  })
  .describe('What a run ended with: a failing script is a result (ok false, error.kind), not an error');
export type RunResult = z.infer<typeof RunResultSchema>;

const LIMIT_KIND_SET: ReadonlySet<ErrorKind> = new Set(LIMIT_KINDS);

/** CLI exit code for a run result: 0 ok, 1 script failed, 3 limit hit, 4 rejected before running, 70 sandbox. */
export function exitCodeForResult(result: RunResult): number {
  if (result.ok) return 0;
  const kind = result.error?.kind;
  if (kind === undefined || kind === 'runtime' || kind === 'network' || kind === 'cancelled') return 1;
  if (LIMIT_KIND_SET.has(kind)) return 3;
  if (kind === 'syntax' || kind === 'rejected') return 4;
  return 70;
}
