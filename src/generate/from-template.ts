/** Generating a script from a template, through the cache when one is given. */
import { z } from 'zod';
import { parseOptions } from '../parse-options.js';
import { templateCacheKey, type GenerationCache } from './cache.js';
import { RenderedTemplateSchema, type TemplateRegistry } from './registry.js';

function isCache(value: unknown): value is GenerationCache {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'get') === 'function' &&
    typeof Reflect.get(value, 'set') === 'function'
  );
}

export const GenerationCacheSchema = z.custom<GenerationCache>(
  isCache,
  'expected { get(key), set(key, source) }',
);

export const GenerateFromTemplateOptsSchema = z
  .object({
    id: z.string().min(1).describe('Template id, `<pack>/<name>`, e.g. stats/descriptive'),
    params: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Template parameters (see `scriptbox templates show <id>`); left-out ones take their defaults',
      ),
    cache: GenerationCacheSchema.optional().describe('Where generated sources are looked up and kept'),
  })
  .strict();
export type GenerateFromTemplateOpts = z.infer<typeof GenerateFromTemplateOptsSchema>;

export const TemplateGenerationSchema = RenderedTemplateSchema.extend({
  cacheKey: z
    .string()
    .describe('The cache key of this request (sha256 of template id, template text hash and parameters)'),
  cached: z.boolean().describe('True when the source came from the cache'),
});
export type TemplateGeneration = z.infer<typeof TemplateGenerationSchema>;

/** Renders `id` with `params`, or returns the cached source for the same request. */
export function generateFromTemplate(
  registry: TemplateRegistry,
  opts: GenerateFromTemplateOpts,
): TemplateGeneration {
  const {
    id,
    params = {},
    cache,
  } = parseOptions(GenerateFromTemplateOptsSchema, opts, 'template generation');
  const resolved = registry.resolveParams(id, params);
  const template = registry.get(id);
  const cacheKey = templateCacheKey({ id, params: resolved, sourceHash: template.sourceHash });
  const hit = cache?.get(cacheKey);
  if (hit !== undefined) {
    const fileName = `${template.name}${template.extension}`;
    return {
      id,
      language: template.language,
      fileName,
      source: hit,
      params: resolved,
      cacheKey,
      cached: true,
    };
  }
  const rendered = registry.render(id, resolved);
  cache?.set(cacheKey, rendered.source);
  return { ...rendered, cacheKey, cached: false };
}
