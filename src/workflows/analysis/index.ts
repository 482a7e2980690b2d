/**
 * The data analysis workflow (`scriptbox/analysis`): read a table, run an analysis as a generated script in
 * the sandbox or compute it directly, present the result. The chat engine that drives it in conversations
 * is `scriptbox/chat` (workflows/chat/index.ts).
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
export { analyzeDirectly, type AnalyzeDirectlyOpts, type DirectAnalysis } from './direct-run.js';
export { DEFAULT_MAX_DATASET_BYTES, readDataset, type Dataset, type DatasetFormat } from './dataset.js';
export { previewBlocks } from './dataset-preview.js';
export { formatNumber } from './format.js';
export type { AnalysisSpec, Block } from './spec.js';
export type { Column, ColumnType, Table } from './table.js';
export { renderBlocksAsText } from './render-text.js';
