/**
 * The insertion scripts' cache: the library's cache table (generator `instrument`, language
 * `instrument-<language>`, so `scriptbox cache stats` lists them by language apart from generated
 * scripts). Read in one query per run and written in one transaction; without a library, a per-run map.
 */
import type { Library } from '../../library/index.js';
import type { InstrumentLanguage } from './model.js';
import { TOOL_VERSION } from './insertion-script.js';

export interface CachedScript {
  key: string;
  source: string;
}

export interface NewScript extends CachedScript {
  language: InstrumentLanguage;
  signature: string;
}

export interface ScriptCache {
  /** The scripts found for `keys` (one lookup, counting hits and misses). */
  lookup(keys: readonly string[]): Map<string, string>;
  /** Stores checked scripts. */
  store(scripts: readonly NewScript[]): void;
}

/** The cache's language column for a language's insertion scripts. */
export const cacheLanguage = (language: InstrumentLanguage): string => `instrument-${language}`;

export function libraryScriptCache(library: Library): ScriptCache {
  return {
    lookup: (keys) => {
      const found = new Map<string, string>();
      for (const [key, entry] of library.cacheGetMany(keys)) {
        if (entry.generator === 'instrument') found.set(key, entry.source);
      }
      return found;
    },
    store: (scripts) => {
      library.cachePutMany(
        scripts.map((script) => ({
          key: script.key,
          entry: {
            language: cacheLanguage(script.language),
            source: script.source,
            generator: 'instrument' as const,
            meta: {
              kind: 'insertion-script',
              scriptLanguage: 'python',
              tool: TOOL_VERSION,
              signature: script.signature.slice(0, 200),
            },
          },
        })),
      );
    },
  };
}

/** No library: scripts live for this run only (every lookup of a new key is a miss). */
export function memoryScriptCache(): ScriptCache {
  const scripts = new Map<string, string>();
  return {
    lookup: (keys) => {
      const found = new Map<string, string>();
      for (const key of keys) {
        const source = scripts.get(key);
        if (source !== undefined) found.set(key, source);
      }
      return found;
    },
    store: (entries) => {
      for (const entry of entries) scripts.set(entry.key, entry.source);
    },
  };
}
