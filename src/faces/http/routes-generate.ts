/** Generation (templates and the LLM, through the library's cache), static checks, templates, cache stats. */
import { checkLanguage, CheckReportSchema, checkSource } from '../../check/index.js';
import { generateFromTemplate } from '../../generate/from-template.js';
import { generateFromPrompt, noProviderError } from '../../generate/llm/generate.js';
import type { TemplateInfo } from '../../generate/registry.js';
import { libraryCache } from '../../library/cache.js';
import { CacheStatsSchema } from '../../library/types.js';
import { checkForRepair } from '../../workflows/checked-run.js';
import { guarded, type ServerContext } from './context.js';
import { route, without, type Route } from './route.js';
import {
  CheckBodySchema,
  decodeFiles,
  GenerateBodySchema,
  generateBodySchema,
  GenerationSchema,
  PublicTemplateDetailsSchema,
  TemplateListSchema,
  TemplateParamsSchema,
} from './schemas.js';

/** A template as clients see it: without host paths. */
function publicInfo<T extends TemplateInfo>(info: T): Omit<T, 'path' | 'overrides'> {
  return without(info, 'path', 'overrides');
}

export function generateRoutes(ctx: ServerContext): Route[] {
  const { engine, library } = ctx;
  const cache = libraryCache(library);
  return [
    route({
      method: 'POST',
      url: '/v1/generate',
      tag: 'generate',
      summary:
        'Generate a script: from a template ({ template, params }: instant, deterministic) or from a prompt ' +
        '({ prompt, language, run? }: the configured LLM, with checks and repair); answers come from the ' +
        'library cache when the same request was made before',
      body: GenerateBodySchema,
      bodySchema: generateBodySchema,
      response: {
        description: 'The generated script (template), or every attempt (prompt)',
        schema: GenerationSchema,
      },
      handle: async ({ body, reply, principal }) => {
        if ('template' in body) {
          const registry = ctx.templates();
          const template = registry.get(body.template);
          return guarded(ctx, {
            principal,
            reply,
            action: 'generate.template',
            target: body.template,
            work: () => {
              const templateCache = {
                get: (key: string) => cache.get(key),
                set: (key: string, source: string) =>
                  cache.set(key, source, { language: template.language, generator: 'template' }),
              };
              const { template: id, params } = body;
              const generated = generateFromTemplate(registry, { id, params, cache: templateCache });
              return Promise.resolve(generated);
            },
            cpuMs: () => 0,
            details: (generated) => ({ ok: true, cached: generated.cached, cacheKey: generated.cacheKey }),
          });
        }
        const provider = ctx.llm;
        if (!provider) throw noProviderError(body.prompt, ctx.templates());
        const language = engine.runtimes.resolve(body.language).name;
        return guarded(ctx, {
          principal,
          reply,
          action: 'generate.prompt',
          target: language,
          work: (signal) =>
            generateFromPrompt({
              ...body,
              language,
              provider,
              engine,
              files: decodeFiles(body.files),
              check: checkForRepair,
              cache: {
                get: (key) => cache.get(key),
                set: (key, source) => cache.set(key, source, { language, generator: 'llm' }),
              },
              templates: ctx.templates(),
              signal,
            }),
          cpuMs: (generation) =>
            generation.attempts.reduce((sum, attempt) => sum + (attempt.run?.usage.cpuMs ?? 0), 0),
          details: (generation) => ({
            ok: generation.ok,
            attempts: generation.attempts.length,
            model: generation.model,
            cacheKey: generation.cacheKey,
          }),
        });
      },
    }),
    route({
      method: 'POST',
      url: '/v1/check',
      tag: 'generate',
      summary:
        'Static checks without running: { policy, blocked, findings: [{ rule, severity, message, line, column }] }',
      body: CheckBodySchema,
      response: { schema: CheckReportSchema },
      handle: ({ body }) => {
        const language = checkLanguage(engine.runtimes.resolve(body.language).name);
        return checkSource({ ...body, language });
      },
    }),
    route({
      method: 'GET',
      url: '/v1/templates',
      tag: 'generate',
      summary: 'Every template of the built-in and user packs, with its parameters',
      response: { schema: TemplateListSchema },
      handle: () => Promise.resolve({ templates: ctx.templates().list().map(publicInfo) }),
    }),
    route({
      method: 'GET',
      url: '/v1/templates/:pack/:name',
      tag: 'generate',
      summary: 'One template with its text and the JSON Schema of its parameters',
      params: TemplateParamsSchema,
      response: { schema: PublicTemplateDetailsSchema },
      handle: ({ params }) => {
        // An unknown id is TEMPLATE_NOT_FOUND (404), as POST /v1/generate and every other face say it.
        return Promise.resolve(publicInfo(ctx.templates().show(`${params.pack}/${params.name}`)));
      },
    }),
    route({
      method: 'GET',
      url: '/v1/cache/stats',
      tag: 'generate',
      summary: 'The generation cache: entries, hits, misses, bytes, by language',
      response: { schema: CacheStatsSchema },
      handle: () => Promise.resolve(library.cacheStats()),
    }),
  ];
}
