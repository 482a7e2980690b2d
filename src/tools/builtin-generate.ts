/** Built-in generation tools: generate_from_template, list_templates, generate_with_llm. */
import { z } from 'zod';
import type { GenerationCache } from '../generate/cache.js';
import {
  generateFromTemplate,
  GenerateFromTemplateOptsSchema,
  TemplateGenerationSchema,
} from '../generate/from-template.js';
import {
  generateFromPrompt,
  GenerateFromPromptOptsSchema,
  GenerationAttemptSchema,
  PromptGenerationSchema,
} from '../generate/llm/generate.js';
import type { LlmProvider } from '../generate/llm/provider.js';
import { TemplateInfoSchema, type TemplateRegistry } from '../generate/registry.js';
import { libraryCache, type Library } from '../library/index.js';
import { plural } from '../text.js';
import { checkForRepair } from '../workflows/checked-run.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { RUN_TOOL_TIMEOUT_MS } from './builtin-run.js';
import { defineTool, type Tool } from './types.js';

/** The library's generation cache, recording the language and generator of each entry. */
function generationCache(library: Library, language: string, generator: 'template' | 'llm'): GenerationCache {
  const cache = libraryCache(library);
  return {
    get: (key) => cache.get(key),
    set: (key, source) => cache.set(key, source, { language, generator }),
  };
}

const TemplateSummarySchema = TemplateInfoSchema.pick({
  id: true,
  description: true,
  language: true,
  params: true,
  example: true,
  tags: true,
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
    output: TemplateGenerationSchema,
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
    // Every attempt but the model's whole reply (its code is there).
    output: PromptGenerationSchema.extend({
      attempts: z.array(GenerationAttemptSchema.omit({ reply: true })),
    }),
    annotations: { readOnly: true, idempotent: false, openWorld: true },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    metered: { cpuMs: (out) => out.attempts.reduce((sum, a) => sum + (a.run?.usage.cpuMs ?? 0), 0) },
    text: (out) =>
      `${out.ok ? 'ok' : 'failed'} after ${plural(out.attempts.length, 'attempt')}\n${out.source}`,
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
