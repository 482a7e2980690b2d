/** Built-in tools that run or check code: run_code, run_script, check_code. */
import { z } from 'zod';
import { checkSource, CheckOptionsSchema, CheckReportSchema, RunChecksSchema } from '../check/index.js';
import { decodeFile, encodedFilesOf, RunOptsSchema, TextStdinSchema } from '../engine/options.js';
import { RunResultSchema } from '../engine/result.js';
import { RunRecordSchema, ScriptNameSchema } from '../library/index.js';
import { GetOptsSchema } from '../library/options.js';
import { runLibraryScript } from '../library/run.js';
import { plural } from '../text.js';
import { checkedRun } from '../workflows/checked-run.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { runText } from './text.js';
import { defineTool, type Tool } from './types.js';

/** Runs have their own wall-clock limit (limits.timeoutMs, at most an hour): the tool's is only a backstop. */
export const RUN_TOOL_TIMEOUT_MS = 3_660_000;

export const RunScriptOutputSchema = z.object({
  script: z.object({ name: z.string(), version: z.number().int(), language: z.string() }),
  result: RunResultSchema,
  run: RunRecordSchema.nullable().describe('The history entry of this run'),
});

export function runTools({ engine, library }: BuiltinToolDeps): Tool[] {
  const runCode = defineTool({
    name: 'run_code',
    title: 'Run code in a sandbox',
    description:
      'Runs a python, javascript, typescript or bash script in a fresh sandbox (hard limits; no network ' +
      'unless `network.allow` names destinations the server allows) ' +
      'and returns stdout, stderr, the exit code, usage and the files it wrote under out/. A failing script ' +
      'is a result with ok false and error.kind, not an error.',
    input: z
      .object({
        language: RunOptsSchema.shape.language,
        source: RunOptsSchema.shape.source,
        stdin: TextStdinSchema.optional(),
        env: RunOptsSchema.shape.env,
        files: encodedFilesOf(RunOptsSchema.shape.files),
        limits: RunOptsSchema.shape.limits,
        network: RunOptsSchema.shape.network,
        checks: RunChecksSchema,
      })
      .strict(),
    output: RunResultSchema,
    network: (input) => input.network?.allow ?? [],
    annotations: { readOnly: true, idempotent: false },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    metered: { cpuMs: (result) => result.usage.cpuMs },
    text: runText,
    handler: async (input, { signal, onNetwork }) => {
      const language = engine.runtimes.resolve(input.language).name;
      const { source, stdin, env, limits, network } = input;
      const files = input.files?.map(decodeFile);
      return checkedRun({
        language,
        source,
        policy: input.checks,
        run: () => engine.run({ language, source, stdin, env, files, limits, network, signal, onNetwork }),
      });
    },
  });

  const runScript = defineTool({
    name: 'run_script',
    title: 'Run a saved script',
    description:
      'Runs a script saved in the library (by name, at its current or a given version) in a fresh sandbox; ' +
      'the run is recorded in its history.',
    input: z
      .object({
        name: ScriptNameSchema,
        version: GetOptsSchema.shape.version,
        stdin: TextStdinSchema.optional(),
        limits: RunOptsSchema.shape.limits,
      })
      .strict(),
    output: RunScriptOutputSchema,
    annotations: { readOnly: false, idempotent: false },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    metered: { cpuMs: (output) => output.result.usage.cpuMs },
    text: (output) => `${output.script.name} v${output.script.version}: ${runText(output.result)}`,
    handler: async ({ name, version, stdin, limits }, { signal, principal }) => {
      const { script, result, run } = await runLibraryScript(library, engine, name, {
        version,
        stdin,
        limits,
        signal,
        ...(principal ? { who: principal.name } : {}),
      });
      return {
        script: { name: script.name, version: script.version, language: script.language },
        result,
        run,
      };
    },
  });

  const checkCode = defineTool({
    name: 'check_code',
    title: 'Check code without running it',
    description:
      'Static checks (process spawning, eval, network, host paths, FFI, introspection) with a real parser; ' +
      'reports findings with rule ids and positions. Nothing runs.',
    input: CheckOptionsSchema,
    output: CheckReportSchema,
    annotations: { readOnly: true, idempotent: true },
    cacheable: true,
    text: (report) =>
      [
        `${report.blocked ? 'blocked' : 'not blocked'} (${plural(report.findings.length, 'finding')})`,
        ...report.findings.map((f) => `${f.line}:${f.column} ${f.severity} ${f.rule}: ${f.message}`),
      ].join('\n'),
    handler: (input) => checkSource(input),
  });

  return [runCode, runScript, checkCode];
}
