/**
 * The HTTP request bodies, derived from the library's own zod schemas (omit what cannot travel over HTTP:
 * signals, callbacks, host paths; extend with what JSON needs: text or base64 file contents), and what the
 * routes answer, composed from the same schemas. One schema per body validates requests and generates
 * /openapi.json; one per answer documents it there.
 */
import { z } from 'zod';
import { CHECK_LANGUAGES, CheckOptionsSchema, RunChecksSchema } from '../../check/index.js';
import { BatchOptsSchema } from '../../engine/batch.js';
import {
  decodeFile,
  EncodedFileSchema,
  encodedFilesOf,
  MAX_ENCODED_FILES,
  RunOptsSchema,
  TextStdinSchema,
  type EncodedFile,
} from '../../engine/options.js';
import { OutputFileInfoSchema, RunResultSchema } from '../../engine/result.js';
import { SessionOptsSchema, SessionRunOptsSchema } from '../../engine/session.js';
import { SessionInfoSchema } from '../../engine/session-info.js';
import { GenerateFromTemplateOptsSchema, TemplateGenerationSchema } from '../../generate/from-template.js';
import { GenerateFromPromptOptsSchema, PromptGenerationSchema } from '../../generate/llm/generate.js';
import { TemplateDetailsSchema, TemplateInfoSchema } from '../../generate/registry.js';
import { ScriptNameSchema } from '../../library/names.js';
import {
  GetOptsSchema,
  ListOptsSchema,
  SaveOptsSchema,
  SearchQuerySchema,
  UpdateOptsSchema,
} from '../../library/options.js';
import {
  RunRecordSchema,
  ScriptRecordSchema,
  ScriptSummarySchema,
  SearchHitSchema,
} from '../../library/types.js';

/** Decodes the files of a body into the engine's `{ name, content }` form (none when absent). */
export function decodeFiles(files: EncodedFile[] | undefined): Array<ReturnType<typeof decodeFile>> {
  return (files ?? []).map(decodeFile);
}

/** What runs take over HTTP besides the script: stdin as text, files, limits and the checks policy. */
const RunExtras = {
  stdin: TextStdinSchema.optional(),
  files: encodedFilesOf(RunOptsSchema.shape.files),
  checks: RunChecksSchema,
};

const NOT_OVER_HTTP = {
  signal: true,
  outDir: true,
  onStdout: true,
  onStderr: true,
  onNetwork: true,
  stdin: true,
  files: true,
} as const;

/** POST /v1/runs and /v1/runs/stream. */
export const RunBodySchema = RunOptsSchema.omit(NOT_OVER_HTTP).extend(RunExtras);
export type RunBody = z.output<typeof RunBodySchema>;

/** POST /v1/sessions. */
export const SessionBodySchema = SessionOptsSchema.omit({ files: true, signal: true }).extend({
  files: encodedFilesOf(SessionOptsSchema.shape.files),
});

/** POST /v1/sessions/:id/runs. */
export const SessionRunBodySchema = SessionRunOptsSchema.omit(NOT_OVER_HTTP).extend({
  ...RunExtras,
  files: encodedFilesOf(SessionRunOptsSchema.shape.files),
});
export type SessionRunBody = z.output<typeof SessionRunBodySchema>;

/** POST /v1/sessions/:id/files (JSON form; raw bytes with `?name=` work too). */
export const UploadBodySchema = z
  .object({
    files: z
      .array(EncodedFileSchema)
      .min(1)
      .max(MAX_ENCODED_FILES)
      .describe('Files written into the session work dir'),
  })
  .strict();

export const UploadQuerySchema = z
  .object({
    name: z
      .string()
      .min(1)
      .optional()
      .describe('With an application/octet-stream body: the relative path the bytes are written to'),
  })
  .strict();

/** POST /v1/batches. */
export const BatchBodySchema = BatchOptsSchema.omit({ signal: true, onProgress: true });

/** POST /v1/generate with a template. */
export const TemplateGenerateBodySchema = GenerateFromTemplateOptsSchema.omit({ id: true, cache: true })
  .extend({ template: GenerateFromTemplateOptsSchema.shape.id })
  .strict();

/** POST /v1/generate with a prompt (needs an LLM provider configured on the server). */
export const PromptGenerateBodySchema = GenerateFromPromptOptsSchema.pick({
  prompt: true,
  language: true,
  run: true,
  maxAttempts: true,
  limits: true,
})
  .extend({
    files: encodedFilesOf(GenerateFromPromptOptsSchema.shape.files),
  })
  .strict();

export const GenerateBodySchema = z.union([TemplateGenerateBodySchema, PromptGenerateBodySchema]);

/** The branch of a generate body, chosen by whether it has a prompt (clearer errors than a union's). */
export function generateBodySchema(
  body: unknown,
): typeof TemplateGenerateBodySchema | typeof PromptGenerateBodySchema {
  const hasPrompt = typeof body === 'object' && body !== null && 'prompt' in body;
  return hasPrompt ? PromptGenerateBodySchema : TemplateGenerateBodySchema;
}

/** POST /v1/check: the checker's options (CheckOptions), as a schema. */
export const CheckBodySchema = CheckOptionsSchema.extend({ language: RunOptsSchema.shape.language }).describe(
  `Languages checked: ${CHECK_LANGUAGES.join(', ')} (aliases such as py work)`,
);

/** POST /v1/scripts: the library's save options; `who` is the caller. */
export const SaveBodySchema = SaveOptsSchema.omit({ who: true });
/** PUT /v1/scripts/:name. */
export const UpdateBodySchema = UpdateOptsSchema.omit({ who: true });

/** GET /v1/scripts: list, or full-text search with `q`. */
export const ListQuerySchema = ListOptsSchema.extend({
  q: SearchQuerySchema.optional().describe(
    'Full-text search over name, description, tags and source (plain words); best first',
  ),
});

export const GetQuerySchema = GetOptsSchema;

/** POST /v1/scripts/:name/runs: a run without language and source, at a version. */
export const ScriptRunBodySchema = RunBodySchema.omit({ language: true, source: true }).extend({
  version: GetOptsSchema.shape.version,
});

export const ScriptNameParamsSchema = z.object({ name: ScriptNameSchema }).strict();

export const SessionParamsSchema = z
  .object({ id: z.string().min(1).describe('The session id from POST /v1/sessions') })
  .strict();

/**
 * One rule for session file paths: relative to the work dir, as GET /v1/sessions/:id/files lists them. A
 * run's `files[].path` is relative to out/ (as in every RunResult), so its file is `out/<path>` here.
 */
export const SessionFileParamsSchema = SessionParamsSchema.extend({
  '*': z
    .string()
    .min(1)
    .describe(
      "Path of the file relative to the session's work dir, as GET /v1/sessions/{id}/files lists it. A " +
        "run's files[].path is relative to out/, so that file is out/<path> (the url each run file carries)",
    ),
});

export const TemplateParamsSchema = z
  .object({
    pack: z.string().min(1).describe('Template pack, e.g. stats'),
    name: z.string().min(1).describe('Template name in the pack, e.g. descriptive'),
  })
  .strict();

// What the routes answer: the owners' schemas (engine, check, library, generate), composed where a route
// answers with more than one of them.

export const HealthSchema = z.object({ status: z.literal('ok') }).describe('The server is up');

export const VersionSchema = z
  .object({
    version: z.string().describe('The scriptbox version'),
    node: z.string().describe('The Node.js version, like v22.11.0'),
    runtimes: z.array(z.string()).describe('The runtimes scripts can use'),
    tokensRequired: z.boolean().describe('Whether requests need an API token'),
    sandboxed: z.boolean().describe('False only when the server runs scripts without isolation'),
  })
  .describe('What this server is and runs');

/** 201 of POST /v1/sessions, GET /v1/sessions/:id: the engine's own description of a session. */
export const SessionSchema = SessionInfoSchema;

/** GET /v1/sessions. */
export const SessionListSchema = z
  .object({ sessions: z.array(SessionInfoSchema).describe('Oldest first') })
  .describe("The caller's open sessions (with tokens, those created with the same token)");

/** The files of a session work dir (listed, or just written). */
export const SessionFilesSchema = z
  .object({
    files: z
      .array(OutputFileInfoSchema)
      .describe(
        'Paths relative to the work dir (download each at GET /v1/sessions/{id}/files/<path>), with their ' +
          'sizes; runtime caches (.cache/, .scriptbox-run/) are not listed',
      ),
  })
  .describe('The files of the work dir');

/** GET /v1/scripts: summaries, or with ?q= search hits (best first, with a score and a snippet). */
export const ScriptListSchema = z
  .object({
    scripts: z.array(z.union([SearchHitSchema, ScriptSummarySchema])),
  })
  .describe('The scripts (with ?q=, search hits: best first, with a score and a snippet)');

/** POST /v1/scripts/:name/runs: the run's result and its history entry. */
export const ScriptRunAnswerSchema = z
  .object({
    name: ScriptSummarySchema.shape.name,
    version: ScriptRecordSchema.shape.version,
    result: RunResultSchema,
    run: RunRecordSchema.nullable().describe('The history entry of this run'),
  })
  .describe("The run's result and its entry in the script's history");

/** POST /v1/generate: a template's script, or the LLM's attempts. */
export const GenerationSchema = z.union([TemplateGenerationSchema, PromptGenerationSchema]);

/** A template as clients see it: without host paths. */
export const PublicTemplateInfoSchema = TemplateInfoSchema.omit({ path: true, overrides: true });
export const TemplateListSchema = z
  .object({ templates: z.array(PublicTemplateInfoSchema) })
  .describe('Every template, with its parameters');
export const PublicTemplateDetailsSchema = TemplateDetailsSchema.omit({
  path: true,
  overrides: true,
}).describe('The template, its text and the JSON Schema of its parameters');

/** A file's bytes (application/octet-stream). */
export const FileBytesSchema = z.string().meta({ format: 'binary', description: 'The file bytes' });
