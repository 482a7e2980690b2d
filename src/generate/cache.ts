/**
 * The hook through which generation reuses earlier results: identical requests (the same template, template
 * text and parameters; or the same prompt, model, language and endpoint) map to the same key, a sha256 of
 * their canonical JSON. The store behind it (memory, the library's SQLite cache) is the caller's.
 */
import { createHash } from 'node:crypto';

/** A store of generated sources by key. Synchronous, so a hit costs no more than a lookup. */
export interface GenerationCache {
  get(key: string): string | undefined;
  set(key: string, source: string): void;
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface TemplateCacheKeyParts {
  id: string;
  /** The parameters after validation and defaults, so `{}` and the defaults spelled out share a key. */
  params: Record<string, unknown>;
  /** sha256 of the template's metadata and text. */
  sourceHash: string;
}

export function templateCacheKey(parts: TemplateCacheKeyParts): string {
  return sha256(canonicalJson({ kind: 'template', ...parts }));
}

export interface PromptCacheKeyParts {
  prompt: string;
  model: string;
  language: string;
  baseUrl: string;
  /** The rules that replaced the default environment rules (absent: the defaults; keys stay as they were). */
  environmentRules?: readonly string[];
}

export function promptCacheKey(parts: PromptCacheKeyParts): string {
  return sha256(canonicalJson({ kind: 'prompt', ...parts }));
}
