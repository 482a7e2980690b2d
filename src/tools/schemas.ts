/**
 * zod schemas of what tools return (run results, library records, check reports) and of the files tools
 * take. The engine and the library describe these as TypeScript interfaces; each schema here is pinned to
 * its interface by an exact type equality (the `Pinned` aliases), so the two cannot drift apart.
 */
import { z } from 'zod';
import { CHECK_POLICIES, type CheckReport } from '../check/index.js';
import { InputFileSchema, type InputFile } from '../engine/options.js';
import { ERROR_KINDS, type OutputFileInfo, type RunResult } from '../engine/result.js';
import {
  isScriptName,
  LIBRARY_LANGUAGES,
  NAME_FORM,
  type DeletedScript,
  type RunRecord,
  type ScriptRecord,
  type ScriptSummary,
  type SearchHit,
} from '../library/index.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;

export const OutputFileInfoSchema = z.object({
  path: z.string().describe('Path relative to out/'),
  bytes: z.number().int().min(0),
});

export const FindingSchema = z.object({
  rule: z.string().describe('Rule id, like py/process-spawn'),
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  line: z.number().int(),
  column: z.number().int(),
});

export const RunResultSchema = z.object({
  ok: z.boolean().describe('True when the script exited 0 within every limit'),
  language: z.string(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.object({ stdout: z.boolean(), stderr: z.boolean() }),
  error: z
    .object({
      kind: z.enum(ERROR_KINDS),
      message: z.string(),
      line: z.number().int().optional(),
      column: z.number().int().optional(),
    })
    .nullable()
    .describe('Why the run failed: timeout, memory, syntax, rejected, runtime, ...; null when ok'),
  usage: z.object({
    wallMs: z.number().min(0),
    cpuMs: z.number().min(0),
    peakMemoryBytes: z.number().min(0),
  }),
  files: z.array(OutputFileInfoSchema).describe('Files the script wrote under out/'),
  scriptHash: z.string().describe('sha256 of the source'),
  findings: z.array(FindingSchema).optional().describe('Static-check findings, when checked'),
});

export const CheckReportSchema = z.object({
  policy: z.enum(CHECK_POLICIES),
  blocked: z.boolean().describe('True under strict with at least one error: a run would be rejected'),
  findings: z.array(FindingSchema),
});

export const ScriptSummarySchema = z.object({
  name: z.string(),
  category: z.string(),
  task: z.string(),
  number: z.number().int(),
  language: z.enum(LIBRARY_LANGUAGES),
  description: z.string(),
  tags: z.array(z.string()),
  currentVersion: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ScriptRecordSchema = ScriptSummarySchema.extend({
  version: z.number().int(),
  source: z.string(),
  sha256: z.string(),
  note: z.string().nullable(),
  versionCreatedAt: z.string(),
  versionWho: z.string(),
});

export const SearchHitSchema = ScriptSummarySchema.extend({ score: z.number(), snippet: z.string() });

export const DeletedScriptSchema = z.object({
  name: z.string(),
  versions: z.number().int(),
  runs: z.number().int(),
});

export const RunRecordSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  who: z.string(),
  at: z.string(),
  ok: z.boolean(),
  kind: z.string(),
  exitCode: z.number().int().nullable(),
  wallMs: z.number(),
  cpuMs: z.number(),
  peakMemoryBytes: z.number(),
});

export type RunResultPinned = Assert<Equals<z.infer<typeof RunResultSchema>, RunResult>>;
export type OutputFileInfoPinned = Assert<Equals<z.infer<typeof OutputFileInfoSchema>, OutputFileInfo>>;
export type CheckReportPinned = Assert<Equals<z.infer<typeof CheckReportSchema>, CheckReport>>;
export type ScriptSummaryPinned = Assert<Equals<z.infer<typeof ScriptSummarySchema>, ScriptSummary>>;
export type ScriptRecordPinned = Assert<Equals<z.infer<typeof ScriptRecordSchema>, ScriptRecord>>;
export type SearchHitPinned = Assert<Equals<z.infer<typeof SearchHitSchema>, SearchHit>>;
export type DeletedScriptPinned = Assert<Equals<z.infer<typeof DeletedScriptSchema>, DeletedScript>>;
export type RunRecordPinned = Assert<Equals<z.infer<typeof RunRecordSchema>, RunRecord>>;

/** A script name in the library, checked like the library checks it. */
export const ScriptNameSchema = z
  .string()
  .max(200)
  .refine(isScriptName, `a script name of the form ${NAME_FORM}`)
  .describe('The script name, like math_addition_001.py');

/** stdin as JSON can carry it: text only. */
export const StdinSchema = z.string().optional().describe('Text given to the script on standard input');

/** Refuses content that is not base64 when encoding says base64. */
export function base64Check(
  file: { content: string; encoding?: 'utf8' | 'base64' | undefined },
  ctx: z.RefinementCtx,
): void {
  if (file.encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(file.content.replace(/\s/g, ''))) {
    ctx.addIssue({ code: 'custom', path: ['content'], message: 'not base64 text' });
  }
}

/** A file given inline: text, or bytes as base64. No host paths: a tool caller never names host files. */
export const ToolFileSchema = InputFileSchema.options[1]
  .extend({
    content: z.string().describe('The file content: text, or base64 when encoding is base64'),
    encoding: z.enum(['utf8', 'base64']).optional().describe('How content is written (default utf8)'),
  })
  .superRefine(base64Check);
export type ToolFile = z.output<typeof ToolFileSchema>;

export function toInputFile(file: ToolFile): InputFile {
  const content = file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : file.content;
  return { name: file.name, content };
}

/** Content of a tool file as bytes or text, ready for Session.uploadFile. */
export const fileContent = (file: ToolFile): string | Buffer =>
  file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : file.content;
