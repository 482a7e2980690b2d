/**
 * One analysis computed by the direct engine (TypeScript, no script, no charts), reported as runAnalysis
 * reports a script's: a table the analysis cannot be computed for (a column that does not fit, too few
 * rows) is the user's data problem, so a failed analysis whose `error` is the script's own message, never
 * an exception. Parameters that do not validate throw InvalidOptionsError, as they do before a script runs.
 */
import { InvalidOptionsError } from '../../errors.js';
import type { TemplateRegistry } from '../../generate/registry.js';
import type { Dataset } from './dataset.js';
import type { AnalysisSpec, Block } from './spec.js';

export interface DirectAnalysis {
  spec: AnalysisSpec;
  /** The template parameters, defaults filled in. */
  params: Record<string, unknown>;
  /** The result, the JSON object the script prints, when it could be computed. */
  result?: Record<string, unknown>;
  /** What went wrong, for the user, when it could not: `<analysis>: <why>`, as runAnalysis says it. */
  error?: string;
  blocks: Block[];
}

export interface AnalyzeDirectlyOpts {
  registry: TemplateRegistry;
  dataset: Dataset;
  spec: AnalysisSpec;
  params?: Record<string, unknown>;
}

export function analyzeDirectly(opts: AnalyzeDirectlyOpts): DirectAnalysis {
  const { registry, dataset, spec } = opts;
  const params = registry.resolveParams(spec.templateId, { ...opts.params, file: dataset.fileName });
  try {
    const result = spec.direct(dataset.table, params);
    return { spec, params, result, blocks: spec.present(result) };
  } catch (err) {
    // The direct engine's InvalidOptionsErrors are the template's fail(...) messages, word for word.
    if (!(err instanceof InvalidOptionsError)) throw err;
    const error = `${spec.name}: ${err.message}`;
    return { spec, params, error, blocks: [{ kind: 'text', text: error }] };
  }
}
