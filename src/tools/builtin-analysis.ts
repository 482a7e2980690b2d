/**
 * The built-in analysis tool, analyze_table: a table given inline (CSV, TSV or xlsx as base64) and an
 * analysis of the `stats` pack, run as a generated script in a fresh sandbox; the result is the script's
 * JSON (what the direct engine computes too), its charts as base64 PNGs, and the run's usage.
 */
import { z } from 'zod';
import { decodeContent, EncodedFileSchema } from '../engine/options.js';
import { RunUsageSchema } from '../engine/result.js';
import type { TemplateRegistry } from '../generate/registry.js';
import { ANALYSES, findAnalysis } from '../workflows/analysis/analyses/index.js';
import { oneShotRunner, runAnalysis } from '../workflows/analysis/analyze.js';
import { readDataset } from '../workflows/analysis/dataset.js';
import { renderBlocksAsText } from '../workflows/analysis/render-text.js';
import type { AnalysisSpec } from '../workflows/analysis/spec.js';
import type { Table } from '../workflows/analysis/table.js';
import { withExampleSaid } from '../workflows/analysis/usage-example.js';
import { InvalidOptionsError } from '../errors.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { RUN_TOOL_TIMEOUT_MS } from './builtin-run.js';
import { defineTool, type Tool } from './types.js';

const ANALYSIS_NAMES = ANALYSES.map((spec) => spec.name);

/** The analysis's parameters from the columns named; a mistake's example is this tool's arguments. */
function paramsFromColumns(spec: AnalysisSpec, columns: string[], table: Table): Record<string, unknown> {
  try {
    return spec.paramsFromColumns(columns, table);
  } catch (err) {
    throw withExampleSaid(
      err,
      (example) =>
        `analysis ${JSON.stringify(example.analysis)} with columns ${JSON.stringify(example.columns)}`,
    );
  }
}

export function analysisTools({ engine }: BuiltinToolDeps, templates: TemplateRegistry): Tool[] {
  const analyze = defineTool({
    name: 'analyze_table',
    title: 'Analyse a table',
    description:
      `Runs a statistical analysis (${ANALYSIS_NAMES.join(', ')}) of a CSV, TSV or xlsx table in the ` +
      'sandbox with pandas, scipy, scikit-learn and matplotlib, and returns its result as JSON (definitions ' +
      'included), chart PNGs (base64; image blocks over MCP), and usage. Parameters per analysis: list_templates with pack stats.',
    input: z
      .object({
        table: EncodedFileSchema.describe('The table: name with its extension, content (xlsx as base64)'),
        analysis: z.enum(ANALYSIS_NAMES as [string, ...string[]]).describe('Which analysis'),
        columns: z
          .array(z.string())
          .max(100)
          .optional()
          .describe('Columns in the order the analysis takes them (regression: target first)'),
        params: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('Template parameters of stats/<analysis>, over what columns set'),
      })
      .strict(),
    output: z.object({
      analysis: z.string(),
      params: z.record(z.string(), z.unknown()).describe('The parameters as used, defaults filled in'),
      ok: z.boolean(),
      result: z
        .record(z.string(), z.unknown())
        .nullable()
        .describe('The analysis result; null when it failed'),
      error: z.string().nullable().describe('Why it failed, for a person to act on'),
      charts: z.array(
        z.object({
          name: z.string(),
          pngBase64: z
            .string()
            .optional()
            .describe(
              'The PNG as base64 (over MCP the chart is an image block instead, and this is left out)',
            ),
        }),
      ),
      usage: RunUsageSchema,
      report: z.string().describe('The result laid out as text tables'),
    }),
    annotations: { readOnly: true, idempotent: true },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    metered: { cpuMs: (output) => output.usage.cpuMs },
    text: (output) => output.report,
    handler: async (input, { signal }) => {
      const spec = findAnalysis(input.analysis);
      if (!spec) {
        const issue = `analysis: one of ${ANALYSIS_NAMES.join(', ')}`;
        throw new InvalidOptionsError(`invalid input: ${issue}`, [issue]);
      }
      const content = decodeContent(input.table);
      const dataset = await readDataset(
        input.table.name,
        typeof content === 'string' ? Buffer.from(content) : content,
      );
      const fromColumns = input.columns?.length ? paramsFromColumns(spec, input.columns, dataset.table) : {};
      const done = await runAnalysis({
        registry: templates,
        dataset,
        spec,
        params: { ...fromColumns, ...input.params },
        runner: oneShotRunner(engine, dataset),
        // A cancelled call (or its timeout) ends the run and frees its sandbox.
        signal,
      });
      return {
        analysis: spec.name,
        params: done.params,
        ok: done.error === undefined,
        result: done.result ?? null,
        error: done.error ?? null,
        charts: done.charts.map((chart) => ({
          name: chart.name,
          pngBase64: Buffer.from(chart.bytes).toString('base64'),
        })),
        usage: done.run.usage,
        report: renderBlocksAsText(done.blocks),
      };
    },
  });
  return [analyze];
}
