/** Built-in generation tools: generate_from_template, list_templates, generate_with_llm. */
import { z } from 'zod';
import type { GenerationCache } from '../generate/cache.js';
import { generateFromTemplate, GenerateFromTemplateOptsSchema } from '../generate/from-template.js';
import { generateFromPrompt, GenerateFromPromptOptsSchema } from '../generate/llm/generate.js';
import type { LlmProvider } from '../generate/llm/provider.js';
import { ParamSpecSchema } from '../generate/params.js';
import type { TemplateRegistry } from '../generate/registry.js';
import { libraryCache, type Library } from '../library/index.js';
import { checkForRepair } from '../workflows/checked-run.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { RUN_TOOL_TIMEOUT_MS } from './builtin-run.js';
import { RunResultSchema } from './schemas.js';
import { defineTool, type Tool } from './types.js';

/** The library's generation cache, recording the language and generator of each entry. */
function generationCache(library: Library, language: string, generator: 'template' | 'llm'): GenerationCache {
  const cache = libraryCache(library);
  return {
    get: (key) => cache.get(key),
    set: (key, source) => cache.set(key, source, { language, generator }),
  };
}

const GeneratedSchema = z.object({
  language: z.string(),
  source: z.string().describe('The generated script'),
  cacheKey: z.string(),
});

const TemplateSummarySchema = z.object({
  id: z.string().describe('<pack>/<name>: what generate_from_template takes as template'),
  description: z.string(),
  language: z.string(),
  params: z.array(ParamSpecSchema),
  example: z.record(z.string(), z.unknown()).nullable(),
  tags: z.array(z.string()),
});

function templateTools(templates: TemplateRegistry, library: Library): Tool[] {
  const generate = defineTool({
    name: 'generate_from_template',
    title: 'Generate a script from a template',
    description:
      'Renders a template of a template pack (instant, deterministic; see list_templates for ids and ' +
      'parameters) into a script; parameter values are filled in as safe literals. Nothing runs.',
    input: z
      .object({
        template: GenerateFromTemplateOptsSchema.shape.id,
        params: GenerateFromTemplateOptsSchema.shape.params,
      })
      .strict(),
    output: GeneratedSchema.extend({
      id: z.string(),
      fileName: z.string(),
      params: z.record(z.string(), z.unknown()).describe('The parameters as used, defaults filled in'),
      cached: z.boolean().describe('True when the library cache had this exact request'),
    }),
    annotations: { readOnly: true, idempotent: true },
    text: (generated) => generated.source,
    handler: ({ template, params }) => {
      const language = templates.get(template).language;
      const cache = generationCache(library, language, 'template');
      return Promise.resolve(generateFromTemplate(templates, { id: template, params, cache }));
    },
  });

  const list = defineTool({
    name: 'list_templates',
    title: 'List templates',
    description: 'Lists the templates generate_from_template can render, with their parameters.',
    input: z
      .object({ pack: z.string().min(1).optional().describe('Only templates of this pack, like stats') })
      .strict(),
    output: z.object({ templates: z.array(TemplateSummarySchema) }),
    annotations: { readOnly: true, idempotent: true },
    cacheable: true,
    text: ({ templates: found }) => found.map((t) => `${t.id}  ${t.description}`).join('\n'),
    handler: ({ pack }) => {
      const found = templates.list().filter((t) => pack === undefined || t.pack === pack);
      return Promise.resolve({
        templates: found.map(({ id, description, language, params, example, tags }) => ({
          id,
          description,
          language,
          params,
          example,
          tags,
        })),
      });
    },
  });
  return [generate, list];
}

function llmTool({ engine, library, templates }: BuiltinToolDeps, llm: LlmProvider): Tool {
  const shape = GenerateFromPromptOptsSchema.shape;
  return defineTool({
    name: 'generate_with_llm',
    title: 'Generate a script with the LLM',
    description:
      'Asks the configured model for a script that does what the prompt says, checks it and (with run) runs ' +
      'it in the sandbox, sending failures back for a fix; returns every attempt.',
    input: z
      .object({
        prompt: shape.prompt,
        language: shape.language,
        run: shape.run,
        maxAttempts: shape.maxAttempts,
        limits: shape.limits,
      })
      .strict(),
    output: GeneratedSchema.extend({
      ok: z.boolean().describe('The last attempt passed its check (and its run, with run)'),
      model: z.string(),
      attempts: z.array(
        z.object({
          attempt: z.number().int(),
          ok: z.boolean(),
          fromCache: z.boolean(),
          llmMs: z.number(),
          code: z.string(),
          check: z.object({ ok: z.boolean(), message: z.string() }).nullable(),
          error: RunResultSchema.shape.error,
          run: RunResultSchema.nullable(),
        }),
      ),
    }),
    annotations: { readOnly: true, idempotent: false, openWorld: true },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    metered: { cpuMs: (out) => out.attempts.reduce((sum, a) => sum + (a.run?.usage.cpuMs ?? 0), 0) },
    text: (out) => `${out.ok ? 'ok' : 'failed'} after ${out.attempts.length} attempt(s)\n${out.source}`,
    handler: async (input, { signal }) => {
      const language = engine.runtimes.resolve(input.language).name;
      const generated = await generateFromPrompt({
        ...input,
        provider: llm,
        engine,
        check: checkForRepair,
        cache: generationCache(library, language, 'llm'),
        ...(templates ? { templates } : {}),
        signal,
      });
      const attempts = generated.attempts.map(({ reply: _reply, ...attempt }) => attempt);
      return { ...generated, attempts };
    },
  });
}

export function generateTools(deps: BuiltinToolDeps, templates: TemplateRegistry): Tool[] {
  const tools = templateTools(templates, deps.library);
  if (deps.llm) tools.push(llmTool({ ...deps, templates }, deps.llm));
  return tools;
}
