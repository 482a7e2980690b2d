/**
 * The HTTP request bodies, derived from the library's own zod schemas (omit what cannot travel over HTTP:
 * signals, callbacks, host paths; extend with what JSON needs: text or base64 file contents). One schema per
 * body validates requests and generates /openapi.json.
 */
import { z } from 'zod';
import { CHECK_LANGUAGES, CHECK_POLICIES } from '../../check/index.js';
import { BatchOptsSchema } from '../../engine/batch.js';
import { InputFileSchema, RunOptsSchema } from '../../engine/options.js';
import { SessionOptsSchema, SessionRunOptsSchema } from '../../engine/session.js';
import { GenerateFromTemplateOptsSchema } from '../../generate/from-template.js';
import { GenerateFromPromptOptsSchema } from '../../generate/llm/generate.js';
import { GetOptsSchema, ListOptsSchema, SaveOptsSchema, UpdateOptsSchema } from '../../library/options.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const EncodingSchema = z
  .enum(['utf8', 'base64'])
  .default('utf8')
  .describe('How `content` is written: utf8 text (default) or base64 bytes');

/** An input file over HTTP: the library's `{ name, content }` file, with text or base64 content. No host paths. */
export const HttpFileSchema = InputFileSchema.options[1]
  .extend({
    content: z.string().describe('File content: text, or base64 when `encoding` is base64'),
    encoding: EncodingSchema,
  })
  .superRefine((file, ctx) => {
    if (file.encoding === 'base64' && !BASE64.test(file.content))
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'not valid base64' });
  });
export type HttpFile = z.output<typeof HttpFileSchema>;

/** Decodes HTTP files into the library's `{ name, content }` form. */
export function decodeFiles(
  files: HttpFile[] | undefined,
): Array<{ name: string; content: string | Buffer }> {
  return (files ?? []).map((file) => ({
    name: file.name,
    content: file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : file.content,
  }));
}

const ChecksSchema = z
  .enum(CHECK_POLICIES)
  .default('off')
  .describe('Static checks first: strict rejects a script with error findings, warn reports them, off skips');

const HttpStdinSchema = z
  .string()
  .optional()
  .describe(RunOptsSchema.shape.stdin.description ?? 'stdin');

/** What runs take over HTTP besides the script: stdin as text, files, limits and the checks policy. */
const RunExtras = {
  stdin: HttpStdinSchema,
  files: z
    .array(HttpFileSchema)
    .optional()
    .describe(RunOptsSchema.shape.files.description ?? 'files'),
  checks: ChecksSchema,
};

const NOT_OVER_HTTP = {
  signal: true,
  outDir: true,
  onStdout: true,
  onStderr: true,
  stdin: true,
  files: true,
} as const;

/** POST /v1/runs and /v1/runs/stream. */
export const RunBodySchema = RunOptsSchema.omit(NOT_OVER_HTTP).extend(RunExtras);
export type RunBody = z.output<typeof RunBodySchema>;

/** POST /v1/sessions. */
export const SessionBodySchema = SessionOptsSchema.omit({ files: true }).extend({
  files: z
    .array(HttpFileSchema)
    .optional()
    .describe(SessionOptsSchema.shape.files.description ?? 'files'),
});

/** POST /v1/sessions/:id/runs. */
export const SessionRunBodySchema = SessionRunOptsSchema.omit(NOT_OVER_HTTP).extend({
  ...RunExtras,
  files: z
    .array(HttpFileSchema)
    .optional()
    .describe(SessionRunOptsSchema.shape.files.description ?? ''),
});

/** POST /v1/sessions/:id/files (JSON form; raw bytes with `?name=` work too). */
export const UploadBodySchema = z
  .object({ files: z.array(HttpFileSchema).min(1).describe('Files written into the session work dir') })
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
    files: z
      .array(HttpFileSchema)
      .optional()
      .describe(GenerateFromPromptOptsSchema.shape.files.description ?? 'files'),
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
export const CheckBodySchema = z
  .object({
    language: RunOptsSchema.shape.language,
    source: RunOptsSchema.shape.source,
    policy: z
      .enum(CHECK_POLICIES)
      .default('strict')
      .describe('strict: error findings block (the default); warn: report only; off: check nothing'),
    network: z
      .boolean()
      .optional()
      .describe('The run will have network access: rules about network use do not apply'),
  })
  .strict()
  .describe(`Languages checked: ${CHECK_LANGUAGES.join(', ')} (aliases such as py work)`);

/** POST /v1/scripts: the library's save options; `who` is the caller. */
export const SaveBodySchema = SaveOptsSchema.omit({ who: true });
/** PUT /v1/scripts/:name. */
export const UpdateBodySchema = UpdateOptsSchema.omit({ who: true });

/** GET /v1/scripts: list, or full-text search with `q`. */
export const ListQuerySchema = ListOptsSchema.extend({
  q: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe('Full-text search over name, description, tags and source (plain words); best first'),
});

export const GetQuerySchema = GetOptsSchema;

/** POST /v1/scripts/:name/runs: a run without language and source, at a version. */
export const ScriptRunBodySchema = RunBodySchema.omit({ language: true, source: true }).extend({
  version: GetOptsSchema.shape.version,
});

export const ScriptNameParamsSchema = z
  .object({ name: z.string().min(1).describe('A library script name, category_task_NNN.ext') })
  .strict();

export const SessionParamsSchema = z
  .object({ id: z.string().min(1).describe('The session id from POST /v1/sessions') })
  .strict();

export const SessionFileParamsSchema = SessionParamsSchema.extend({
  '*': z.string().min(1).describe('Relative path of the file in the work dir'),
});

export const TemplateParamsSchema = z
  .object({
    pack: z.string().min(1).describe('Template pack, e.g. stats'),
    name: z.string().min(1).describe('Template name in the pack, e.g. descriptive'),
  })
  .strict();
