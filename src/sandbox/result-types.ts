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
  name: z
    .string()
    .optional()
    .describe('Runtime errors of Python and JavaScript scripts: the exception type, like ZeroDivisionError'),
  value: z.string().optional().describe("The exception's message, like 'division by zero'"),
  traceback: z
    .string()
    .optional()
    .describe(
      "The traceback as the language prints it, with scriptbox's own frames removed: frames name the " +
        'script file (or <cell> in a session)',
    ),
});
export type RunError = z.infer<typeof RunErrorSchema>;

/** The MIME types a rich output may carry (Jupyter's names). */
export const OUTPUT_MIME_TYPES = [
  'text/plain',
  'text/html',
  'image/png',
  'image/svg+xml',
  'application/json',
] as const;

/**
 * Standard base64 with padding: what image/png data must be. Checked without a backtracking regex (one
 * over a 30 MB image overflows V8's regexp stack).
 */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0 || /[^A-Za-z0-9+/=]/.test(text)) return false;
  const padding = text.indexOf('=');
  return padding < 0 || (padding >= text.length - 2 && text.endsWith('='.repeat(text.length - padding)));
}

export const MimeBundleSchema = z
  .object({
    'text/plain': z.string().optional(),
    'text/html': z.string().optional(),
    'image/png': z.string().refine(isBase64, 'image/png must be base64').optional(),
    'image/svg+xml': z.string().optional(),
    'application/json': z.unknown().optional(),
  })
  .refine((data) => OUTPUT_MIME_TYPES.some((mime) => data[mime] !== undefined), {
    message: `a display item carries at least one of ${OUTPUT_MIME_TYPES.join(', ')}`,
  })
  .describe('One output in several forms, keyed by MIME type (a Jupyter mime bundle); PNG as base64');
export type MimeBundle = z.infer<typeof MimeBundleSchema>;

export const OutputItemSchema = z
  .object({
    type: z
      .enum(['display', 'result'])
      .describe(
        "display: shown by the script (a matplotlib figure, display(obj)); result: a session cell's final " +
          'expression, as Jupyter shows it',
      ),
    data: MimeBundleSchema,
  })
  .describe('A rich output of the run, in the order the script produced it');
export type OutputItem = z.infer<typeof OutputItemSchema>;

export const OutputFileInfoSchema = z.object({
  path: z.string().describe('Path relative to out/, always with / separators and never ..'),
  bytes: z.number().int().min(0),
  mediaType: z
    .string()
    .optional()
    .describe(
      'Media type from the extension (image/png, text/csv, ...; application/octet-stream if unknown)',
    ),
  content: z
    .string()
    .optional()
    .describe(
      'The file as base64, when it fits the inline caps (inlineFiles.maxFileBytes per file, ' +
        'inlineFiles.maxTotalBytes per run); larger files are listed without it',
    ),
  url: z
    .string()
    .optional()
    .describe(
      'HTTP API only: where to download a file returned without content, relative to the server ' +
        '(GET, same token as the run); valid for a limited time after the run',
    ),
});
export type OutputFileInfo = z.infer<typeof OutputFileInfoSchema>;

export const SkippedFileSchema = z.object({
  path: z
    .string()
    .describe("Path relative to out/ (control characters escaped); '.' for out/ itself or a summary"),
  reason: z.string().describe('Why it was not returned: a cap (limits.maxOutFiles, ...), a symlink, ...'),
});
export type SkippedFile = z.infer<typeof SkippedFileSchema>;
