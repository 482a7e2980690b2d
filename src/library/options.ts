/** The library's options, one zod schema per call; the TypeScript types are inferred from them. */
import { z } from 'zod';
import { RunResultSchema } from '../engine/result.js';
import { CategorySchema, LIBRARY_LANGUAGES, TaskSchema } from './names.js';

export const MAX_SOURCE_BYTES = 1_048_576;

const WhoSchema = z
  .string()
  .min(1)
  .max(200)
  .describe('Who acts, as recorded in versions, run history and the audit log (default: the library`s who)');

const SourceSchema = z
  .string()
  .min(1, 'the script is empty')
  .refine((text) => Buffer.byteLength(text, 'utf8') <= MAX_SOURCE_BYTES, {
    message: `the script is larger than ${MAX_SOURCE_BYTES} bytes`,
  })
  .describe('The script source code');

const TagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(32)
  .regex(/^[a-z0-9][a-z0-9_.+-]*$/, 'a tag is a word of letters, digits and _ . + - (like csv or ml)');

const LimitSchema = (fallback: number) =>
  z.number().int().min(1).max(10_000).default(fallback).describe('At most this many rows');

export const OpenLibraryOptsSchema = z
  .object({
    home: z
      .string()
      .min(1)
      .optional()
      .describe('Data directory (default: SCRIPTBOX_HOME, else ~/.scriptbox); created with mode 0700'),
    now: z
      .custom<() => Date>((value) => typeof value === 'function', 'expected a function returning a Date')
      .optional()
      .describe('The clock for timestamps (default: the system clock)'),
    who: WhoSchema.optional().describe('Who acts when a call does not say (default: the OS user name)'),
  })
  .strict();
export type OpenLibraryOpts = z.input<typeof OpenLibraryOptsSchema>;

export const SaveOptsSchema = z
  .object({
    category: CategorySchema,
    task: TaskSchema,
    language: z.enum(LIBRARY_LANGUAGES).describe('The script language; it gives the name its extension'),
    source: SourceSchema,
    description: z.string().max(2000).default('').describe('What the script does, in words (searchable)'),
    tags: z
      .array(TagSchema)
      .max(32)
      .default([])
      .transform((tags) => [...new Set(tags)])
      .describe('Keywords (searchable), lowercased, duplicates dropped'),
    who: WhoSchema.optional(),
  })
  .strict();
export type SaveOpts = z.input<typeof SaveOptsSchema>;

export const UpdateOptsSchema = z
  .object({
    source: SourceSchema.describe('The new source: it becomes a new version; old versions are kept'),
    note: z.string().max(500).optional().describe('Why it changed, kept with the version'),
    baseVersion: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Refuse (LIBRARY_CONFLICT) unless this is still the current version: no lost updates'),
    who: WhoSchema.optional(),
  })
  .strict();
export type UpdateOpts = z.input<typeof UpdateOptsSchema>;

export const GetOptsSchema = z
  .object({
    version: z.number().int().min(1).optional().describe('A version number (default: the current one)'),
  })
  .strict();
export type GetOpts = z.input<typeof GetOptsSchema>;

export const ListOptsSchema = z
  .object({
    category: CategorySchema.optional(),
    language: z.enum(LIBRARY_LANGUAGES).optional().describe('Only scripts in this language'),
    limit: LimitSchema(1000),
  })
  .strict();
export type ListOpts = z.input<typeof ListOptsSchema>;

/** What search() looks for: plain words (never FTS syntax). */
export const SearchQuerySchema = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .describe('Words to look for in names, descriptions, tags and sources (taken as plain words)');

export const SearchOptsSchema = z.object({ limit: LimitSchema(20) }).strict();
export type SearchOpts = z.input<typeof SearchOptsSchema>;

export const WhoOptsSchema = z.object({ who: WhoSchema.optional() }).strict();
export type WhoOpts = z.input<typeof WhoOptsSchema>;

export const HistoryOptsSchema = z.object({ limit: LimitSchema(100) }).strict();
export type HistoryOpts = z.input<typeof HistoryOptsSchema>;

export const AuditOptsSchema = z
  .object({
    limit: LimitSchema(100),
    target: z.string().min(1).optional().describe('Only entries about this target (a script name, cache)'),
  })
  .strict();
export type AuditOpts = z.input<typeof AuditOptsSchema>;

/** What recordRun keeps of a run: a whole RunResult fits. */
export const RunOutcomeSchema = RunResultSchema.pick({ ok: true, exitCode: true, usage: true }).extend({
  error: z.object({ kind: z.string().min(1) }).nullable(),
});
export type RunOutcome = z.input<typeof RunOutcomeSchema>;

export const CacheKeySchema = z
  .string()
  .min(1)
  .max(512)
  .refine((key) => !key.includes('\0'), 'a cache key cannot contain NUL')
  .describe('The content hash of the generation request (template + params, or prompt + model)');

export const CachePutSchema = z
  .object({
    language: z
      .string()
      .max(32)
      .regex(/^[a-z][a-z0-9_+-]*$/, 'a lowercase language name, like python')
      .describe('The language of the generated script (unknown when the generator does not say)'),
    source: z.string().describe('The generated script'),
    generator: z
      .enum(['template', 'llm', 'instrument'])
      .nullable()
      .default(null)
      .describe('What produced it: a template pack, an LLM or `scriptbox instrument` (null when unknown)'),
    meta: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('Anything else worth keeping: template id, model, params digest'),
  })
  .strict();
export type CachePutEntry = z.input<typeof CachePutSchema>;

// The memo (memo.ts): derived data by namespace and content key.
export const MemoNamespaceSchema = z
  .string()
  .regex(/^[a-z][a-z0-9._-]{0,63}$/, 'a memo namespace is lowercase letters, digits, . _ - (up to 64)')
  .describe('Whose entries these are, like instrument-analysis');

export const MemoKeySchema = z
  .string()
  .min(1)
  .max(512)
  .refine((key) => !key.includes('\0'), 'a memo key cannot contain NUL')
  .describe('The content hash of what the value was derived from');

export const MemoPutOptsSchema = z
  .object({
    keep: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Then keep only the newest this many entries of the namespace (the oldest go first)'),
  })
  .strict();
export type MemoPutOpts = z.input<typeof MemoPutOptsSchema>;
