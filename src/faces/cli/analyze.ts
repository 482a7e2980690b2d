/**
 * `scriptbox analyze <file> <analysis> [columns...] [--param key=value]... [--json] [--out-dir dir]
 * [--direct]`: one analysis of a CSV/TSV/xlsx table. The script is generated from the analysis's `stats`
 * template and run in the sandbox; charts land in --out-dir. `--direct` computes the same result with the
 * direct engine instead (no script, no charts). Columns named after the analysis fill its parameters as
 * in the chat (`regression price area` = predict price from area).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { createEngine } from '../../engine/engine.js';
import { exitCodeForResult } from '../../engine/result.js';
import { FileNotFoundError, UsageError } from '../../errors.js';
import { parseParamArgs } from '../../generate/param-args.js';
import { createTemplateRegistry } from '../../generate/registry.js';
import { ANALYSES, findAnalysis } from '../../workflows/analysis/analyses/index.js';
import { oneShotRunner, runAnalysis, usageLine } from '../../workflows/analysis/analyze.js';
import { analyzeDirectly } from '../../workflows/analysis/direct-run.js';
import { readDataset } from '../../workflows/analysis/dataset.js';
import { renderBlocksAsText } from '../../workflows/analysis/render-text.js';
import type { AnalysisSpec } from '../../workflows/analysis/spec.js';
import type { Table } from '../../workflows/analysis/table.js';
import { withExampleSaid } from '../../workflows/analysis/usage-example.js';
import { Interrupt } from './interrupt.js';
import { printJson, readUserFile } from './io.js';
import { limitOptions, limitsFrom, RunCliOptsSchema } from './run-options.js';
import { rawOption, writeUntrusted } from './terminal-safe.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const AnalyzeCliOptsSchema = RunCliOptsSchema.pick({
  timeout: true,
  cpu: true,
  memory: true,
  maxOutput: true,
  json: true,
  raw: true,
}).extend({
  param: z.array(z.string()).default([]),
  outDir: z.string().default('scriptbox-out'),
  direct: z.boolean().default(false),
});
type AnalyzeCliOpts = z.infer<typeof AnalyzeCliOptsSchema>;

function analysesHelp(): string {
  const lines = ANALYSES.map((spec) => `  ${spec.name.padEnd(17)} ${spec.summary}`);
  return `\nAnalyses:\n${lines.join('\n')}\n\nParameters: \`scriptbox templates show stats/<analysis>\`.

Exit codes:
  0   done
  1   the analysis failed (its message says why: a column that does not fit, too few rows, ...)
  2   usage error: unknown analysis or parameter, a file that cannot be read as a table
  3   the run hit a limit
  70  the sandbox failed
  130 interrupted (Ctrl-C): the run is cancelled`;
}

export function analyzeCommand(setExitCode: (code: number) => void): Command {
  const command = new Command('analyze')
    .description('analyse a CSV, TSV or xlsx table: statistics, models and charts, run in the sandbox')
    .argument('<file>', 'the table')
    .argument('<analysis>', 'what to compute (listed below)')
    .argument('[columns...]', 'columns to analyse, in the order the analysis takes them')
    .option('--param <key=value>', 'a parameter of the analysis template (repeatable)', collect)
    .option('--out-dir <dir>', 'where chart PNGs are written', 'scriptbox-out')
    .option('--direct', 'compute with the direct engine instead of a sandboxed script (no charts)')
    .option('--json', 'print one JSON object on stdout')
    .addOption(rawOption());
  for (const option of limitOptions()) command.addOption(option);
  return command
    .addHelpText('after', analysesHelp)
    .action(async (file: string, analysis: string, columns: string[], raw: unknown) => {
      setExitCode(await analyze(file, analysis, columns, AnalyzeCliOptsSchema.parse(raw)));
    });
}

async function analyze(file: string, name: string, columns: string[], opts: AnalyzeCliOpts): Promise<number> {
  const spec = findAnalysis(name);
  if (!spec) {
    throw new UsageError(
      `no analysis ${JSON.stringify(name)}; choose one of ${ANALYSES.map((a) => a.name).join(', ')}`,
    );
  }
  // The text comes from the table (column names, values) and the script's output: escaped on a terminal.
  const out = (text: string): Promise<void> => writeUntrusted(process.stdout, text, opts.raw);
  const note = (text: string): Promise<void> =>
    writeUntrusted(process.stderr, `scriptbox: ${text}\n`, opts.raw);
  const dataset = await readDataset(file, readUserFile(file, 'the table'));
  for (const warning of dataset.warnings) await note(warning);
  const registry = createTemplateRegistry();
  const template = registry.get(spec.templateId);
  const fromColumns = columns.length > 0 ? paramsFromColumns(spec, columns, dataset.table, file) : {};
  const params = { ...fromColumns, ...parseParamArgs(template.params, opts.param, spec.templateId) };

  // A table the analysis cannot be computed for is reported alike on both paths: exit 1, the same message
  // (on stderr, or as `error` of the same JSON object), as the template's script says it.
  if (opts.direct) {
    const done = analyzeDirectly({ registry, dataset, spec, params });
    if (opts.json) {
      await printJson({
        analysis: spec.name,
        params: done.params,
        ok: done.error === undefined,
        ...(done.result ? { result: done.result } : { error: done.error }),
        engine: 'direct',
      });
    } else if (done.error !== undefined) await note(done.error);
    else await out(renderBlocksAsText(done.blocks));
    return done.error === undefined ? 0 : 1;
  }

  const engine = await createEngine({ pool: { size: 0 } });
  // Ctrl-C (or SIGTERM) cancels the run: its sandbox is freed, the exit code says which signal came.
  const interrupt = new Interrupt();
  try {
    const done = await runAnalysis({
      registry,
      dataset,
      spec,
      params,
      runner: oneShotRunner(engine, dataset, limitsFrom(opts)),
      signal: interrupt.signal,
    });
    const charts = done.charts.length > 0 ? writeCharts(opts.outDir, done.charts) : [];
    if (opts.json) {
      await printJson({
        analysis: spec.name,
        params: done.params,
        ok: done.error === undefined,
        ...(done.result ? { result: done.result } : { error: done.error }),
        charts,
        usage: done.run.usage,
        script: done.script,
      });
    } else {
      if (done.error !== undefined) await note(done.error);
      else await out(renderBlocksAsText(done.blocks));
      for (const chart of charts) await note(`chart: ${chart}`);
      await note(usageLine(done.run));
    }
    if (interrupt.exitCode !== null) return interrupt.exitCode;
    return done.error === undefined ? 0 : Math.max(1, exitCodeForResult(done.run));
  } finally {
    interrupt.dispose();
    await engine.close();
  }
}

/**
 * A word as a shell reads it back: quoted when it holds spaces or characters the shell would take; a
 * placeholder of an example (`<column>`) stays as it is, to be replaced.
 */
function shellWord(word: string): string {
  if (/^[\w.,:/@%+=-]+$/.test(word) || /^<[a-z ]+>$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The analysis's parameters from the columns named; a mistake's example is a command line to type. */
function paramsFromColumns(
  spec: AnalysisSpec,
  columns: string[],
  table: Table,
  file: string,
): Record<string, unknown> {
  try {
    return spec.paramsFromColumns(columns, table);
  } catch (err) {
    throw withExampleSaid(err, (example) =>
      ['scriptbox', 'analyze', file, example.analysis, ...example.columns].map(shellWord).join(' '),
    );
  }
}

function writeCharts(dir: string, charts: { name: string; bytes: Uint8Array }[]): string[] {
  const target = resolve(dir);
  try {
    mkdirSync(target, { recursive: true });
    return charts.map((chart) => {
      const path = join(target, chart.name);
      writeFileSync(path, chart.bytes);
      return path;
    });
  } catch (cause) {
    throw new FileNotFoundError(`cannot write charts to --out-dir ${dir}: ${(cause as Error).message}`, {
      cause,
    });
  }
}
