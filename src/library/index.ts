/** The script library: SQLite store of scripts, versions, runs, audit, FTS search and the generation cache. */
export { openLibrary } from './library.js';
export { libraryCache, type GenerationCacheInfo, type LibraryGenerationCache } from './cache.js';
export { LibraryConflictError, LibraryNotFoundError } from './errors.js';
export {
  EXTENSION_BY_LANGUAGE,
  LIBRARY_LANGUAGES,
  NAME_FORM,
  formatScriptName,
  isScriptName,
  parseScriptName,
  ScriptNameSchema,
  type LibraryLanguage,
  type ScriptName,
  type ScriptNameParts,
} from './names.js';
export {
  CachePutSchema,
  OpenLibraryOptsSchema,
  SaveOptsSchema,
  UpdateOptsSchema,
  type AuditOpts,
  type CachePutEntry,
  type GetOpts,
  type HistoryOpts,
  type ListOpts,
  type MemoPutOpts,
  type OpenLibraryOpts,
  type RunOutcome,
  type SaveOpts,
  type SearchOpts,
  type UpdateOpts,
  type WhoOpts,
} from './options.js';
export {
  CacheStatsSchema,
  DeletedScriptSchema,
  RunRecordSchema,
  ScriptRecordSchema,
  ScriptSummarySchema,
  SearchHitSchema,
  type AuditAction,
  type AuditEntry,
  type CacheCleared,
  type CacheEntry,
  type CacheStats,
  type DeletedScript,
  type Library,
  type RunRecord,
  type ScriptRecord,
  type ScriptSummary,
  type SearchHit,
  type VersionInfo,
} from './types.js';
