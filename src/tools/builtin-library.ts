/** Built-in library tools: search_scripts, get_script, save_script, update_script, delete_script. */
import { z } from 'zod';
import {
  DeletedScriptSchema,
  SaveOptsSchema,
  ScriptNameSchema,
  ScriptRecordSchema,
  SearchHitSchema,
  UpdateOptsSchema,
} from '../library/index.js';
import { GetOptsSchema, SearchOptsSchema, SearchQuerySchema } from '../library/options.js';
import { plural } from '../text.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { SCRIPT_PARAMS_HELP } from './script-params.js';
import { defineTool, type Tool } from './types.js';

const NameInput = z.object({ name: ScriptNameSchema }).strict();

export function libraryTools({ library, onLibraryChange }: BuiltinToolDeps): Tool[] {
  const changed = <T>(value: T): Promise<T> => {
    onLibraryChange?.();
    return Promise.resolve(value);
  };
  const who = (principal: { name: string } | undefined) => (principal ? { who: principal.name } : {});

  const search = defineTool({
    name: 'search_scripts',
    title: 'Search saved scripts',
    description: 'Full-text search over the names, descriptions, tags and sources of the saved scripts.',
    input: z
      .object({
        query: SearchQuerySchema,
        limit: SearchOptsSchema.shape.limit,
      })
      .strict(),
    output: z.object({ hits: z.array(SearchHitSchema) }),
    annotations: { readOnly: true, idempotent: true },
    text: ({ hits }) =>
      hits.length === 0 ? 'no scripts match' : hits.map((h) => `${h.name}  ${h.description}`).join('\n'),
    handler: ({ query, limit }) => Promise.resolve({ hits: library.search(query, { limit }) }),
  });

  const get = defineTool({
    name: 'get_script',
    title: 'Show a saved script',
    description: 'A saved script with its source, at its current or a given version.',
    input: NameInput.extend({ version: GetOptsSchema.shape.version }),
    output: ScriptRecordSchema,
    annotations: { readOnly: true, idempotent: true },
    text: (script) => `${script.name} v${script.version}\n${script.source}`,
    handler: ({ name, version }) => Promise.resolve(library.get(name, { version })),
  });

  const save = defineTool({
    name: 'save_script',
    title: 'Save a script',
    description:
      'Saves a script in the library as version 1 under the next free name category_task_NNN.ext (returned); ' +
      'the same source saved again under the same category, task and language returns that script ' +
      '(existed: true) instead of a copy. ' +
      SCRIPT_PARAMS_HELP,
    input: SaveOptsSchema.omit({ who: true }),
    output: ScriptRecordSchema,
    annotations: { readOnly: false, idempotent: false },
    text: (script) =>
      script.existed === true ? `already saved as ${script.name} (same source)` : `saved as ${script.name}`,
    handler: (input, { principal }) => changed(library.save({ ...input, ...who(principal) })),
  });

  const update = defineTool({
    name: 'update_script',
    title: 'Update a saved script',
    description:
      'Replaces the source of a saved script: the new source becomes its current version (old versions stay ' +
      'readable). Pass baseVersion to refuse if someone changed it meanwhile.',
    input: NameInput.extend(UpdateOptsSchema.omit({ who: true }).shape),
    output: ScriptRecordSchema,
    annotations: { readOnly: false, destructive: true, idempotent: false },
    text: (script) => `${script.name} is now at version ${script.version}`,
    handler: ({ name, ...opts }, { principal }) =>
      changed(library.update(name, { ...opts, ...who(principal) })),
  });

  const remove = defineTool({
    name: 'delete_script',
    title: 'Delete a saved script',
    description: 'Deletes a saved script with all its versions and run history. This cannot be undone.',
    input: NameInput,
    output: DeletedScriptSchema,
    annotations: { readOnly: false, destructive: true, idempotent: true },
    text: (gone) => `deleted ${gone.name} (${plural(gone.versions, 'version')}, ${plural(gone.runs, 'run')})`,
    handler: ({ name }, { principal }) => changed(library.delete(name, who(principal))),
  });

  return [search, get, save, update, remove];
}
