/**
 * The template registry: every template of the built-in packs and the user's packs, validated and compiled
 * once when the registry is created; list, show and render (validate parameters, fill them in as literals).
 * Search order is like PATH: user directories first, in order, then the built-in packs; the first template
 * with an id wins, so a user pack can replace a built-in template. A pack's prelude (prelude.ts) is compiled
 * once and inlined into each of its templates' scripts.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { resolveTemplateDirs } from '../config.js';
import { PartialLimitsSchema } from '../engine/options.js';
import { parseOptions } from '../parse-options.js';
import { InvalidOptionsError, ScriptboxError } from '../errors.js';
import { discoverTemplates, loadTemplate, type LoadedTemplate, type TemplateFiles } from './pack-loader.js';
import { ParamSpecSchema } from './params.js';
import { insertPrelude, markPrelude } from './prelude.js';
import {
  compileTemplate,
  createTemplateEnvironment,
  firstLine,
  type CompiledTemplate,
} from './template-compile.js';

/** The built-in packs: `templates/` at the package root (two levels above src/generate/ and dist/generate/). */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

export const TemplateRegistryOptsSchema = z
  .object({
    templateDirs: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Directories of user packs, searched before the built-in packs (replaces SCRIPTBOX_TEMPLATES)',
      ),
    builtin: z.boolean().optional().describe('Include the built-in packs (default true)'),
  })
  .strict();
export type TemplateRegistryOpts = z.infer<typeof TemplateRegistryOptsSchema>;

export const TemplateInfoSchema = z.object({
  id: z.string().describe('<pack>/<name>, e.g. stats/descriptive'),
  pack: z.string(),
  name: z.string(),
  description: z.string(),
  language: z.string().describe('Runtime of the generated script'),
  extension: z.string().describe('Extension of the generated script, like .py'),
  params: z.array(ParamSpecSchema),
  example: z.record(z.string(), z.unknown()).nullable(),
  tags: z.array(z.string()),
  limits: PartialLimitsSchema.describe('Limits the generated script needs beyond the defaults'),
  origin: z.enum(['builtin', 'user']),
  path: z.string().describe('Path of the template file'),
  overrides: z
    .array(z.string())
    .describe('Templates with the same id that this one hides (later in the search order)'),
  sourceHash: z.string().describe("sha256 of the metadata, the template text and the pack's prelude"),
});
export type TemplateInfo = z.infer<typeof TemplateInfoSchema>;

export const TemplateDetailsSchema = TemplateInfoSchema.extend({
  template: z.string().describe('The template text itself'),
  prelude: z
    .string()
    .nullable()
    .describe("The pack's prelude, inlined where the template has its {# prelude #} line; null without one"),
  paramsJsonSchema: z.unknown().describe('JSON Schema of the parameters'),
});
export type TemplateDetails = z.infer<typeof TemplateDetailsSchema>;

export const RenderedTemplateSchema = z.object({
  id: z.string(),
  language: z.string(),
  fileName: z.string().describe('A file name for the script, like descriptive.py'),
  source: z.string().describe('The generated script'),
  params: z
    .record(z.string(), z.unknown())
    .describe('The parameters as used: validated, with defaults filled in (left-out optional ones are null)'),
});
export type RenderedTemplate = z.infer<typeof RenderedTemplateSchema>;

interface Entry {
  loaded: LoadedTemplate;
  compiled: CompiledTemplate;
  /** The pack's prelude compiled (shared by the pack's templates), or null. */
  prelude: CompiledTemplate | null;
  overrides: string[];
}

export class TemplateRegistry {
  private readonly entries = new Map<string, Entry>();
  private filterError: unknown = null;

  /** Loads, checks and compiles every template; a broken one throws naming its file and each problem. */
  constructor(opts: TemplateRegistryOpts = {}) {
    const parsed = parseOptions(TemplateRegistryOptsSchema, opts, 'template registry options');
    const found: TemplateFiles[] = [
      ...resolveTemplateDirs(parsed.templateDirs).flatMap((dir) => discoverTemplates(dir, 'user')),
      ...(parsed.builtin === false ? [] : discoverTemplates(BUILTIN_TEMPLATES_DIR, 'builtin')),
    ];
    const env = createTemplateEnvironment((err) => {
      this.filterError = err;
    });
    const preludes = new Map<string, CompiledTemplate>();
    const compilePrelude = (loaded: LoadedTemplate): CompiledTemplate | null => {
      const { preludePath: path, preludeSource: source } = loaded;
      if (path === null || source === null) return null;
      const compiled = preludes.get(path) ?? compileTemplate(env, source, path);
      preludes.set(path, compiled);
      return compiled;
    };
    for (const files of found) {
      const existing = this.entries.get(files.id);
      if (existing) {
        existing.overrides.push(files.templatePath);
        continue;
      }
      const loaded = loadTemplate(files);
      const prelude = compilePrelude(loaded);
      const compiled = compileTemplate(env, markPrelude(loaded.templateSource), files.templatePath);
      this.entries.set(files.id, { loaded, compiled, prelude, overrides: [] });
      this.renderSample(loaded);
    }
  }

  /** Renders the example (or the defaults) once, so a name the template never declared fails at load. */
  private renderSample(loaded: LoadedTemplate): void {
    const { meta, id, templatePath } = loaded;
    const sample = meta.example ?? (meta.params.some((param) => param.required === true) ? undefined : {});
    if (sample === undefined) return;
    try {
      this.render(id, sample);
    } catch (err) {
      const issue = `${templatePath}: rendering its ${meta.example ? 'example' : 'defaults'} failed: ${firstLine(err)}`;
      throw new InvalidOptionsError(`invalid template ${id}: ${issue}`, [issue], { cause: err });
    }
  }

  /** Every template, sorted by id. */
  list(): TemplateInfo[] {
    return [...this.entries.values()].map((entry) => info(entry)).sort((a, b) => a.id.localeCompare(b.id));
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** One template's description and parameters (throws for an unknown id, listing similar ones). */
  get(id: string): TemplateInfo {
    return info(this.entry(id));
  }

  /** One template with its text and the JSON Schema of its parameters. */
  show(id: string): TemplateDetails {
    const entry = this.entry(id);
    return {
      ...info(entry),
      template: entry.loaded.templateSource,
      prelude: entry.loaded.preludeSource,
      paramsJsonSchema: z.toJSONSchema(entry.loaded.schema, { io: 'input', unrepresentable: 'any' }),
    };
  }

  /** Validates `params` (see `show(id).params`) and renders the script. */
  render(id: string, params: Record<string, unknown>): RenderedTemplate {
    const entry = this.entry(id);
    const { loaded } = entry;
    const resolved = this.resolve(entry, params);
    let source = this.renderPart(id, entry.compiled, loaded.templatePath, resolved);
    if (entry.prelude && loaded.preludePath !== null) {
      const prelude = this.renderPart(id, entry.prelude, loaded.preludePath, resolved);
      source = insertPrelude(source, prelude, loaded.templatePath);
    }
    return {
      id,
      language: loaded.language,
      fileName: `${loaded.name}${loaded.extension}`,
      source: source.endsWith('\n') ? source : `${source}\n`,
      params: resolved,
    };
  }

  /** Renders a template or a prelude; a failure names `path`, the file it came from. */
  private renderPart(
    id: string,
    compiled: CompiledTemplate,
    path: string,
    params: Record<string, unknown>,
  ): string {
    this.filterError = null;
    try {
      return compiled.render(params);
    } catch (err) {
      const cause = this.filterError ?? err;
      const issue = `${path}: ${firstLine(cause)}`;
      throw new InvalidOptionsError(`cannot render template ${id}: ${issue}`, [issue], { cause });
    } finally {
      this.filterError = null;
    }
  }

  /** The parameters of `id` validated, with defaults: what render() and cache keys use. */
  resolveParams(id: string, params: Record<string, unknown>): Record<string, unknown> {
    return this.resolve(this.entry(id), params);
  }

  private resolve(entry: Entry, params: Record<string, unknown>): Record<string, unknown> {
    const { id, meta } = entry.loaded;
    const known = new Set(meta.params.map((param) => param.name));
    const unknown = Object.keys(params).filter((key) => !known.has(key));
    const takes = known.size === 0 ? 'no parameters' : `only ${[...known].join(', ')}`;
    const issues = unknown.map((key) => `${key}: unknown parameter (${id} takes ${takes})`);
    const missing = meta.params.filter((spec) => spec.required === true && params[spec.name] === undefined);
    for (const spec of missing) issues.push(`${spec.name}: required (${spec.type}: ${spec.description})`);
    const parsed = entry.loaded.schema.safeParse(params);
    for (const problem of parsed.error?.issues ?? []) {
      if (problem.code === 'unrecognized_keys') continue;
      if (missing.some((spec) => problem.path.length === 1 && problem.path[0] === spec.name)) continue;
      issues.push(`${problem.path.join('.')}: ${problem.message}`);
    }
    if (issues.length > 0 || !parsed.success) {
      // Where to read the parameters is each face's to say (data.see).
      throw new InvalidOptionsError(`invalid parameters for ${id}:\n  ${issues.join('\n  ')}`, issues, {
        data: { see: { what: 'template', id } },
      });
    }
    return parsed.data;
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (entry) return entry;
    const pack = id.split('/')[0] ?? '';
    const similar = [...this.entries.keys()].filter((key) => key.startsWith(`${pack}/`));
    const also = similar.length > 0 ? ` (in pack ${pack}: ${similar.join(', ')})` : '';
    throw new ScriptboxError('TEMPLATE_NOT_FOUND', `no template ${JSON.stringify(id)}${also}`, {
      data: { id, see: { what: 'templates' } },
    });
  }
}

function info(entry: Entry): TemplateInfo {
  const { loaded, overrides } = entry;
  return {
    id: loaded.id,
    pack: loaded.pack,
    name: loaded.name,
    description: loaded.meta.description,
    language: loaded.language,
    extension: loaded.extension,
    params: loaded.meta.params,
    example: loaded.meta.example ?? null,
    tags: loaded.meta.tags ?? [],
    limits: loaded.meta.limits ?? {},
    origin: loaded.origin,
    path: loaded.templatePath,
    overrides: [...overrides],
    sourceHash: loaded.sourceHash,
  };
}

/** Creates a registry (see TemplateRegistry); throws on the first broken template, naming its file. */
export function createTemplateRegistry(opts: TemplateRegistryOpts = {}): TemplateRegistry {
  return new TemplateRegistry(opts);
}
