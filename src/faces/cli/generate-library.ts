/** What `scriptbox generate` keeps in the library: its content-hash cache, and scripts saved with --save. */
import type { GenerationCache } from '../../generate/cache.js';
import { LIBRARY_LANGUAGES, libraryCache, openLibrary, type Library } from '../../library/index.js';
import { UsageError } from '../../errors.js';

export interface SaveRequest {
  category?: string | undefined;
  task?: string | undefined;
  language: string;
  source: string;
  description: string;
  generator: 'template' | 'llm';
}

/** Opens the library for one command and always closes it. */
export async function withLibrary<T>(work: (library: Library) => T | Promise<T>): Promise<T> {
  const library = openLibrary();
  try {
    return await work(library);
  } finally {
    library.close();
  }
}

/** The library's cache as the generators' hook, recording what language and generator each entry is. */
export function generationCache(
  library: Library,
  language: string,
  generator: 'template' | 'llm',
): GenerationCache {
  const cache = libraryCache(library);
  return {
    get: (key) => cache.get(key),
    set: (key, source) => cache.set(key, source, { language, generator }),
  };
}

/** Where --save kept the script: its name, and whether the same source was already saved there. */
export interface SavedAs {
  name: string;
  existed: boolean;
}

/**
 * Saves a generated script under `category_task_NNN.ext`; the same source saved again under the same
 * category and task is not copied: the library hands back the script it already has.
 */
export function saveGenerated(library: Library, request: SaveRequest): SavedAs {
  const { category, task } = request;
  if (category === undefined || task === undefined) {
    throw new UsageError('--save needs --category and --task (the name becomes category_task_NNN.ext)');
  }
  const language = LIBRARY_LANGUAGES.find((known) => known === request.language);
  if (!language) {
    throw new UsageError(`--save keeps ${LIBRARY_LANGUAGES.join(', ')} scripts, not ${request.language}`);
  }
  const saved = library.save({
    category,
    task,
    language,
    source: request.source,
    description: request.description,
    tags: ['generated', request.generator],
  });
  return { name: saved.name, existed: saved.existed === true };
}

/** `saved <what> as <name>`, or that the same script was already there under that name. */
export function describeSaved(saved: SavedAs, what?: string): string {
  if (!saved.existed) return what === undefined ? `saved as ${saved.name}` : `saved ${what} as ${saved.name}`;
  const already = `already saved as ${saved.name} (same source; nothing new saved)`;
  return what === undefined ? already : `${what} ${already}`;
}

/** What --json adds for --save: `saved` (the name), and `existed: true` when nothing new was saved. */
export function savedJson(saved: SavedAs | undefined): { saved?: string; existed?: true } {
  if (saved === undefined) return {};
  return { saved: saved.name, ...(saved.existed ? { existed: true as const } : {}) };
}
