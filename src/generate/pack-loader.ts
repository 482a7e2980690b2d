/**
 * Template packs on disk. A pack is a directory; each template in it is `<name>.<ext>.njk` (the code) plus
 * `<name>.json` (its metadata: description, language, example, params). The template id is `<pack>/<name>`.
 *
 * A templates directory (the built-in `templates/`, or one named in SCRIPTBOX_TEMPLATES or `templateDirs`)
 * is either a pack itself, when it holds `.njk` files directly (the pack is named after the directory), or
 * a directory of packs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PartialLimitsSchema, parseOptions } from '../engine/options.js';
import { FileNotFoundError, InvalidOptionsError } from '../errors.js';
import { builtinRuntimes } from '../sandbox/runtimes/builtin.js';
import { paramsSchema, ParamSpecSchema, paramSchema, type ParamSpec } from './params.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const TEMPLATE_FILE = /^([^.]+)(\.[^.]+)\.njk$/;

export const TemplateMetaSchema = z
  .object({
    description: z.string().min(1).describe('What the generated script does'),
    language: z
      .string()
      .min(1)
      .describe('Runtime of the generated script: python, javascript, typescript, bash'),
    params: z.array(ParamSpecSchema).describe('The parameters, in the order they are documented'),
    example: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Example parameters, checked against the params when the pack loads'),
    tags: z.array(z.string()).optional().describe('Keywords for search and template suggestions'),
    limits: PartialLimitsSchema.optional().describe('Limits the generated script needs beyond the defaults'),
  })
  .strict()
  .superRefine((meta, ctx) => {
    const seen = new Set<string>();
    meta.params.forEach((param, index) => {
      if (seen.has(param.name)) {
        ctx.addIssue({ code: 'custom', path: ['params', index, 'name'], message: 'duplicate name' });
      }
      seen.add(param.name);
    });
  });
export type TemplateMeta = z.infer<typeof TemplateMetaSchema>;

/** Where a template was found. */
export interface TemplateFiles {
  id: string;
  pack: string;
  name: string;
  /** The file extension of generated scripts, like `.py`. */
  extension: string;
  templatePath: string;
  metaPath: string;
  origin: 'builtin' | 'user';
}

/** A template's files read and validated (not yet compiled). */
export interface LoadedTemplate extends TemplateFiles {
  meta: TemplateMeta;
  /** Runtime name (aliases resolved). */
  language: string;
  templateSource: string;
  /** sha256 (hex) of the metadata and the template text: changes whenever the output could. */
  sourceHash: string;
  schema: z.ZodType<Record<string, unknown>>;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function hasTemplates(dir: string): boolean {
  return readdirSync(dir).some((entry) => entry.endsWith('.njk'));
}

function invalid(path: string, issues: string[]): InvalidOptionsError {
  return new InvalidOptionsError(`invalid template pack ${path}:\n  ${issues.join('\n  ')}`, issues);
}

/** The templates of one pack directory, sorted by name. */
function packTemplates(dir: string, pack: string, origin: TemplateFiles['origin']): TemplateFiles[] {
  if (!NAME.test(pack)) throw invalid(dir, [`pack name "${pack}": use letters, digits, _ and -`]);
  const entries = readdirSync(dir).sort();
  const found = new Map<string, TemplateFiles>();
  for (const entry of entries) {
    const match = TEMPLATE_FILE.exec(entry);
    if (!entry.endsWith('.njk')) continue;
    const [, name, extension] = match ?? [];
    if (name === undefined || extension === undefined || !NAME.test(name)) {
      throw invalid(dir, [`${entry}: name templates <name>.<ext>.njk, like descriptive.py.njk`]);
    }
    if (found.has(name)) throw invalid(dir, [`${entry}: a second template named ${name}`]);
    const metaPath = join(dir, `${name}.json`);
    if (!existsSync(metaPath)) throw invalid(dir, [`${entry}: its metadata ${name}.json is missing`]);
    const templatePath = join(dir, entry);
    found.set(name, { id: `${pack}/${name}`, pack, name, extension, templatePath, metaPath, origin });
  }
  return [...found.values()];
}

/** Every template under one templates directory (a pack, or a directory of packs). */
export function discoverTemplates(dir: string, origin: TemplateFiles['origin']): TemplateFiles[] {
  if (!isDirectory(dir)) {
    throw new FileNotFoundError(
      `template directory ${dir} does not exist or is not a directory (check SCRIPTBOX_TEMPLATES or templateDirs)`,
    );
  }
  if (hasTemplates(dir)) return packTemplates(dir, basename(dir), origin);
  return readdirSync(dir)
    .sort()
    .filter((entry) => !entry.startsWith('.') && isDirectory(join(dir, entry)))
    .filter((entry) => hasTemplates(join(dir, entry)))
    .flatMap((entry) => packTemplates(join(dir, entry), entry, origin));
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw invalid(path, [`not valid JSON: ${err instanceof Error ? err.message : String(err)}`]);
  }
}

function resolveLanguage(files: TemplateFiles, language: string): string {
  const runtime = builtinRuntimes().find((spec) => spec.name === language || spec.aliases.includes(language));
  if (!runtime) throw invalid(files.metaPath, [`language: "${language}" is not a built-in language`]);
  if (!runtime.extensions.includes(files.extension)) {
    const expected = runtime.extensions.join(' ');
    throw invalid(files.templatePath, [`a ${runtime.name} template ends in ${expected} before .njk`]);
  }
  return runtime.name;
}

/** Defaults and the example must satisfy the parameters they describe. */
function checkValues(meta: TemplateMeta, schema: z.ZodType, bashStrings: boolean): string[] {
  const issues: string[] = [];
  meta.params.forEach((spec: ParamSpec, index) => {
    if (spec.default === undefined) return;
    const checked = paramSchema({ ...spec, default: undefined, required: true }, { bashStrings }).safeParse(
      spec.default,
    );
    if (!checked.success) issues.push(`params.${index}.default: ${checked.error.issues[0]?.message}`);
  });
  if (meta.example !== undefined) {
    const checked = schema.safeParse(meta.example);
    if (!checked.success) {
      for (const issue of checked.error.issues)
        issues.push(`example.${issue.path.join('.')}: ${issue.message}`);
    }
  }
  return issues;
}

/** Reads and validates a template's metadata and text. */
export function loadTemplate(files: TemplateFiles): LoadedTemplate {
  const metaText = readFileSync(files.metaPath, 'utf8');
  const meta = parseOptions(
    TemplateMetaSchema,
    readJson(files.metaPath),
    `template metadata ${files.metaPath}`,
  );
  const language = resolveLanguage(files, meta.language);
  const bashStrings = language === 'bash';
  const schema = paramsSchema(meta.params, { bashStrings });
  const issues = checkValues(meta, schema, bashStrings);
  if (issues.length > 0) throw invalid(files.metaPath, issues);
  const templateSource = readFileSync(files.templatePath, 'utf8');
  const sourceHash = createHash('sha256').update(metaText).update('\0').update(templateSource).digest('hex');
  return { ...files, meta, language, templateSource, sourceHash, schema };
}
