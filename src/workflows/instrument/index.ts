/** Telemetry instrumentation of whole source trees (`scriptbox/instrument`). */
export {
  instrumentTree,
  InstrumentOptsSchema,
  type InstrumentOpts,
  type InstrumentProgress,
  type InstrumentResult,
} from './instrument.js';
export { removeInstrumentation, type RemoveOutcome } from './remove.js';
export {
  ARCHIVE_FORMATS,
  ARCHIVE_MEDIA_TYPES,
  ArchiveLimitsSchema,
  DEFAULT_ARCHIVE_LIMITS,
  detectFormat,
  extractArchive,
  packTree,
  unpackArchive,
  type ArchiveFormat,
  type ArchiveLimits,
  type UploadFormat,
} from './archive/index.js';
export {
  archiveAnswer,
  instrumentArchive,
  InstrumentArchiveAnswerSchema,
  InstrumentArchiveInputSchema,
  InstrumentArchiveOptsSchema,
  InstrumentReportSchema,
  reportSummary,
  type InstrumentArchiveAnswer,
  type InstrumentArchiveInput,
  type InstrumentArchiveOpts,
  type InstrumentedArchive,
  type InstrumentReport,
} from './archive/instrument-archive.js';
export { MANIFEST_NAME, type Manifest } from './manifest.js';
export { SUPPORTS, supportFor } from './languages/index.js';
export { TOOL_VERSION, insertionKey, insertionScript } from './insertion-script.js';
export { DEFAULT_WORKERS, INSTRUMENT_POOL } from './sandbox-batch.js';
export type { FileContext, InsertionEdit, InsertionRequest, LanguageSupport } from './language.js';
export {
  INSTRUMENT_LANGUAGES,
  SourceMap,
  type Edit,
  type FileAnalysis,
  type FunctionSite,
  type InstrumentLanguage,
  type LoopSite,
  type Position,
  type Span,
  type VariableSite,
} from './model.js';
