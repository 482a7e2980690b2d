/** scriptbox's public API. */
export { createEngine, type Engine } from './engine/engine.js';
export type { OutputChunk, RunStream } from './engine/stream.js';
export type { EngineEventEmitter, EngineEventName, EngineEvents } from './engine/events.js';
export {
  Session,
  SessionClosedError,
  SessionOptsSchema,
  SessionRunOptsSchema,
  type SessionOpts,
  type SessionRunOpts,
} from './engine/session.js';
export {
  BatchOptsSchema,
  runBatch,
  type BatchItemKind,
  type BatchItemResult,
  type BatchOpts,
  type BatchProgress,
  type BatchResult,
  type BatchSummary,
} from './engine/batch.js';
export { LimitAboveCeilingError, type CeilingBreach } from './engine/ceilings.js';
export {
  CeilingsSchema,
  DEFAULT_CEILINGS,
  DEFAULT_INLINE_FILES,
  DEFAULT_LIMITS,
  defaultCeilings,
  EngineOptsSchema,
  InlineFilesSchema,
  LimitsSchema,
  RunOptsSchema,
  type Ceilings,
  type EngineOpts,
  type InlineFiles,
  type InputFile,
  type Limits,
  type PartialLimits,
  type RunOpts,
} from './engine/options.js';
export {
  ERROR_KINDS,
  exitCodeForResult,
  RunResultSchema,
  type ErrorKind,
  type MimeBundle,
  type OutputFileInfo,
  type OutputItem,
  type SkippedFile,
  type RunError,
  type RunResult,
  type RunUsage,
} from './engine/result.js';
export {
  EngineClosedError,
  FileNotFoundError,
  InvalidOptionsError,
  NetworkNotPermittedError,
  SandboxUnavailableError,
  ScriptboxError,
  UnknownRuntimeError,
  UsageError,
  type ErrorCode,
} from './errors.js';
export {
  NetworkGrantRequestSchema,
  NetworkPolicySchema,
  type NetworkGrantRequest,
  type NetworkPolicy,
} from './network/policy.js';
export { NetworkLimitsSchema, DEFAULT_NETWORK_LIMITS, type NetworkLimits } from './network/limits.js';
export { NetworkReportSchema, type NetworkReport } from './network/report.js';
export { RuntimeSpecSchema, type RuntimeSpec, type RuntimeSpecInput } from './sandbox/runtimes/spec.js';
