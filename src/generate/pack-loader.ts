/**
 * Template packs on disk. A pack is a directory; each template in it is `<name>.<ext>.njk` (the code) plus
 * `<name>.json` (its metadata: description, language, example, params). The template id is `<pack>/<name>`.
 *
 * A templates directory (the built-in `templates/`, or one named in SCRIPTBOX_TEMPLATES or `templateDirs`)
 * is either a pack itself, when it holds `.njk` files directly (the pack is named after the directory), or
 * a directory of packs.
 *
 * A pack may also hold a prelude, `_prelude.<ext>.njk`: code its `<ext>` templates share, inlined into each
 * generated script where the template has a `{# prelude #}` line (see prelude.ts). It is looked up in the
 * pack's own directory only, for built-in and user packs alike.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { PartialLimitsSchema } from '../engine/options.js';
import { parseOptions } from '../parse-options.js';
import { FileNotFoundError, InvalidOptionsError } from '../errors.js';
import { builtinRuntimes } from '../sandbox/runtimes/builtin.js';
import { paramsSchema, ParamSpecSchema, paramSchema, type ParamSpec } from './params.js';
import { countPreludeMarkers, PRELUDE_MARKER, preludeExtension } from './prelude.js';

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
  /** The pack's prelude for this extension (`_prelude.py.njk`), or null when the pack has none. */
  preludePath: string | null;
  origin: 'builtin' | 'user';
}

/** A template's files read and validated (not yet compiled). */
export interface LoadedTemplate extends TemplateFiles {
  meta: TemplateMeta;
  /** Runtime name (aliases resolved). */
  language: string;
  templateSource: string;
  /** The text of the pack's prelude, or null (see `preludePath`). */
  preludeSource: string | null;
  /** sha256 (hex) of the metadata, the template text and the prelude: changes whenever the output could. */
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

function isTemplateFile(entry: string): boolean {
  return entry.endsWith('.njk') && preludeExtension(entry) === undefined;
}

function hasTemplates(dir: string): boolean {
  return readdirSync(dir).some(isTemplateFile);
}

/** The pack's preludes by extension; each must be a file and serve at least one template. */
function packPreludes(dir: string, entries: string[], templates: TemplateFiles[]): Map<string, string> {
  const preludes = new Map<string, string>();
  for (const entry of entries) {
    const extension = preludeExtension(entry);
    if (extension === undefined) continue;
    const path = join(dir, entry);
    if (!statSync(path).isFile()) throw invalid(dir, [`${entry}: a prelude is a file`]);
    if (!templates.some((files) => files.extension === extension)) {
      throw invalid(dir, [`${entry}: no ${extension} template in this pack uses it`]);
    }
    preludes.set(extension, path);
  }
  return preludes;
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
    if (!isTemplateFile(entry)) continue;
    const [, name, extension] = match ?? [];
    if (name === undefined || extension === undefined || !NAME.test(name)) {
      throw invalid(dir, [`${entry}: name templates <name>.<ext>.njk, like descriptive.py.njk`]);
    }
    if (found.has(name)) throw invalid(dir, [`${entry}: a second template named ${name}`]);
    const metaPath = join(dir, `${name}.json`);
    if (!existsSync(metaPath)) throw invalid(dir, [`${entry}: its metadata ${name}.json is missing`]);
    const templatePath = join(dir, entry);
    const id = `${pack}/${name}`;
    found.set(name, { id, pack, name, extension, templatePath, metaPath, preludePath: null, origin });
  }
  const templates = [...found.values()];
  const preludes = packPreludes(dir, entries, templates);
  return templates.map((files) => ({ ...files, preludePath: preludes.get(files.extension) ?? null }));
}

/** Every template under one templates directory (a pack, or a directory of packs). */
export function discoverTemplates(dir: string, origin: TemplateFiles['origin']): TemplateFiles[] {
  if (!isDirectory(dir)) {
    throw new FileNotFoundError(
      `template directory ${dir} does not exist or is not a directory (check SCRIPTBOX_TEMPLATES or templateDirs)`,
    );
  }
  if (hasTemplates(dir)) return packTemplates(dir, basename(dir), origin);
  const stray = readdirSync(dir).find((entry) => preludeExtension(entry) !== undefined);
  if (stray !== undefined) {
    throw invalid(dir, [
      `${stray}: a prelude belongs in a pack directory, next to the templates that use it`,
    ]);
  }
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
  const preludeSource = files.preludePath === null ? null : readFileSync(files.preludePath, 'utf8');
  checkPreludeMarkers(files, templateSource, preludeSource);
  const hash = createHash('sha256').update(metaText).update('\0').update(templateSource);
  // A pack without a prelude hashes as it always did, so its cached scripts stay valid.
  if (preludeSource !== null) hash.update('\0prelude\0').update(preludeSource);
  const sourceHash = hash.digest('hex');
  return { ...files, meta, language, templateSource, preludeSource, sourceHash, schema };
}

/** With a prelude, the template marks its place once; without one, nowhere; the prelude never does. */
function checkPreludeMarkers(files: TemplateFiles, template: string, prelude: string | null): void {
  const preludeFile = `_prelude${files.extension}.njk`;
  const markers = countPreludeMarkers(template);
  if (prelude === null) {
    if (markers === 0) return;
    throw invalid(files.templatePath, [
      `a ${PRELUDE_MARKER} line, but the pack has no ${preludeFile}: add one next to the template, or remove the line`,
    ]);
  }
  const preludePath = files.preludePath ?? preludeFile;
  // NUL stands for the marker while rendering (PRELUDE_SENTINEL); no template text needs one.
  if (template.includes('\0')) throw invalid(files.templatePath, ['holds a NUL character']);
  if (prelude.includes('\0')) throw invalid(preludePath, ['holds a NUL character']);
  if (countPreludeMarkers(prelude) > 0) {
    throw invalid(preludePath, [`a prelude cannot hold a ${PRELUDE_MARKER} line`]);
  }
  if (markers !== 1) {
    throw invalid(files.templatePath, [
      markers === 0
        ? `the pack has a prelude (${preludeFile}): mark where it goes with a line ${PRELUDE_MARKER}`
        : `${markers} ${PRELUDE_MARKER} lines: the prelude goes in once`,
    ]);
  }
}
