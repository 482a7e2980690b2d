/**
 * What a sandboxed run can end with, as the sandbox reports it: the kinds of failure, a failure with its
 * place in the source, and the files a script left in out/. The engine's RunResult (engine/result.ts) is
 * built from these. Each is one zod schema; the TypeScript types are inferred from them.
 */
import { z } from 'zod';

/** The kinds of failure that are a limit hit (the CLI exits 3 for them). */
export const LIMIT_KINDS = ['timeout', 'cpu', 'memory', 'processes', 'output_limit', 'disk'] as const;

export const ERROR_KINDS = [
  ...LIMIT_KINDS,
  'syntax',
  'rejected',
  'runtime',
  'network',
  'sandbox',
  'cancelled',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export const RunErrorSchema = z.object({
  kind: z
    .enum(ERROR_KINDS)
    .describe('What failed: a limit (timeout, memory, ...), syntax, rejected, runtime, ...'),
  message: z.string().describe('What happened, in words'),
  line: z
    .number()
    .int()
    .optional()
    .describe('1-based source line, for syntax errors when the parser reports one'),
  column: z.number().int().optional().describe('1-based column, when known'),
});
export type RunError = z.infer<typeof RunErrorSchema>;

export const OutputFileInfoSchema = z.object({
  path: z.string().describe('Path relative to out/, always with / separators and never ..'),
  bytes: z.number().int().min(0),
});
export type OutputFileInfo = z.infer<typeof OutputFileInfoSchema>;
