/** Every analysis of the data analysis workflow, in the order help texts list them. */
import type { AnalysisSpec } from '../spec.js';
import { boxplotAnalysis } from './boxplot.js';
import { correlationAnalysis } from './correlation.js';
import { descriptiveAnalysis } from './descriptive.js';
import { groupSummaryAnalysis } from './group-summary.js';
import { histogramAnalysis } from './histogram.js';
import { regressionAnalysis } from './regression.js';
import { scatterAnalysis } from './scatter.js';
import { trainClassifierAnalysis } from './train-classifier.js';

export const ANALYSES: readonly AnalysisSpec[] = [
  descriptiveAnalysis,
  correlationAnalysis,
  regressionAnalysis,
  groupSummaryAnalysis,
  histogramAnalysis,
  scatterAnalysis,
  boxplotAnalysis,
  trainClassifierAnalysis,
];

/** The analysis called `name` (case-insensitive), or undefined. */
export function findAnalysis(name: string): AnalysisSpec | undefined {
  const wanted = name.toLowerCase();
  return ANALYSES.find((analysis) => analysis.name === wanted);
}
