/** Every analysis of the data analysis workflow, in the order help texts list them. */
import type { AnalysisSpec } from '../spec.js';

export const ANALYSES: readonly AnalysisSpec[] = [];

/** The analysis called `name` (case-insensitive), or undefined. */
export function findAnalysis(name: string): AnalysisSpec | undefined {
  const wanted = name.toLowerCase();
  return ANALYSES.find((analysis) => analysis.name === wanted);
}
