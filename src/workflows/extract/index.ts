/**
 * The extraction workflow (`scriptbox/extract`): one script over many web sources, each run granted its
 * source's host only; records per source in input order, partial failure, a console formatter, and the
 * LLM writing the script from a description (`extractWithPrompt`).
 */
export {
  DEFAULT_EXTRACT_CONCURRENCY,
  ExtractOptsSchema,
  prepareExtraction,
  runExtraction,
  type ExtractEngine,
  type ExtractOpts,
} from './extract.js';
export {
  formatBytes,
  formatExtraction,
  formatMetadata,
  formatRecordTable,
  type FormatOpts,
} from './format.js';
export { allowEntries, allowFor, grantFor } from './grant.js';
export { jsonLineLogger, type ExtractLogEntry, type ExtractLogger } from './log.js';
export { fetchPage, pageExcerpt, type PageFetch } from './page.js';
export {
  extractionCpuMs,
  extractionPrompt,
  extractionRules,
  extractionWithScript,
  ExtractionWithScriptSchema,
  ExtractPromptOptsSchema,
  extractWithPrompt,
  generatedScript,
  GeneratedScriptSchema,
  PageReportSchema,
  type ExtractionWithScript,
  type ExtractPromptOpts,
  type ExtractPromptResult,
  type GeneratedScript,
} from './prompt.js';
export { parseRecords, type ExtractRecord, type RecordsParse } from './records.js';
export {
  EXTRACT_ERROR_KINDS,
  ExtractErrorSchema,
  ExtractionResultSchema,
  ExtractSummarySchema,
  SourceMetadataSchema,
  SourceResultSchema,
  type ExtractError,
  type ExtractErrorKind,
  type ExtractionResult,
  type ExtractProgress,
  type ExtractSummary,
  type SourceMetadata,
  type SourceResult,
} from './result.js';
export { MAX_SOURCES, parseSources, redactUrl, SourceSchema, urlProblem, type Source } from './sources.js';
