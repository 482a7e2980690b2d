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

/** Saves a generated script under `category_task_NNN.ext`; returns its name. */
export function saveGenerated(library: Library, request: SaveRequest): string {
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
  return saved.name;
}
