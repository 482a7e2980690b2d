/**
 * The data analysis workflow (`scriptbox/analysis`): read a table, run an analysis as a generated script in
 * the sandbox or compute it directly, present the result; and the chat engine that drives it in
 * conversations (`createChatEngine`, the engine behind `scriptbox chat` and the Telegram bot).
 */
export { ANALYSES, findAnalysis } from './analyses/index.js';
export {
  oneShotRunner,
  runAnalysis,
  sessionRunner,
  uploadDataset,
  usageLine,
  type AnalysisRun,
  type AnalysisRunner,
  type RunAnalysisOpts,
} from './analyze.js';
export { tableToCsv } from './canonical-csv.js';
export {
  DEFAULT_MAX_DATASET_BYTES,
  previewBlocks,
  readDataset,
  type Dataset,
  type DatasetFormat,
} from './dataset.js';
export { formatNumber } from './format.js';
export type { AnalysisSpec, Block } from './spec.js';
export type { Column, ColumnType, Table } from './table.js';
export { createChatEngine, DEFAULT_CHAT_LIMITS, type ChatEngineOpts } from '../../faces/chat/engine.js';
export { renderBlocksAsText } from './render-text.js';
export type { ChatEngine, ChatHooks, ChatInput, ChatProgress, ChatReply } from '../../faces/chat/types.js';
