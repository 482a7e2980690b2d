/**
 * The built-in extraction tool: extract_sources (workflows/extract). With a model in the toolbox it also
 * takes `prompt` in place of `script` (extractWithPrompt). Every run's egress decisions go to the face's
 * audit (ToolContext.onNetwork).
 */
import { z } from 'zod';
import { NetworkLimitsSchema } from '../network/limits.js';
import { plural } from '../text.js';
import {
  allowEntries,
  extractionCpuMs,
  extractionWithScript,
  ExtractionWithScriptSchema,
  ExtractOptsSchema,
  ExtractPromptOptsSchema,
  extractWithPrompt,
  runExtraction,
  type ExtractionResult,
  type ExtractionWithScript,
  type Source,
} from '../workflows/extract/index.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { RUN_TOOL_TIMEOUT_MS } from './builtin-run.js';
import { defineTool, type Tool } from './types.js';

/** `20 sources: 17 ok, 3 failed, 42 records`, then one line per failed source. */
export function extractText(result: ExtractionResult): string {
  const { summary } = result;
  const lines = [
    `${plural(summary.sources, 'source')}: ${summary.succeeded} ok, ${summary.failed} failed, ` +
      `${plural(summary.records, 'record')} in ${summary.durationMs} ms`,
  ];
  for (const source of result.sources) {
    if (source.ok) continue;
    lines.push(
      `[${source.index}] ${source.url}: ${source.error?.kind ?? 'runtime'}: ${source.error?.message ?? ''}`,
    );
    if (source.error?.hint) lines.push(`  what to do: ${source.error.hint}`);
  }
  lines.push(
    '',
    JSON.stringify(result.sources.map((source) => ({ url: source.url, records: source.records }))),
  );
  return lines.join('\n');
}

const DESCRIPTION =
  'Runs one extraction script (python, javascript, typescript or bash) once per source URL, each run in ' +
  "a fresh sandbox granted network to that source's host only (plus `allow`). The script gets the " +
  'source as JSON on stdin and its URL as SOURCE_URL, and prints records as a JSON array (or one ' +
  'object per line). Returns records per source in input order, errors (timeout, syntax, network, ' +
  "runtime, output) with what to do, and a summary. Hosts outside the server's policy refuse the call.";

const PROMPT_DESCRIPTION =
  " Instead of `script`, give `prompt` (what to extract, in words): the server's model writes the script " +
  "from it and the first source's page, runs it on that source and repairs it on failure, then runs it " +
  'over every source; the result also has the script as `generated`.';

const ScriptInputSchema = ExtractOptsSchema.pick({
  script: true,
  sources: true,
  concurrency: true,
  allow: true,
  limits: true,
})
  .extend({
    networkLimits: NetworkLimitsSchema.optional().describe("Network limits of each source's run"),
  })
  .strict();

/** With a model: `script`, or `prompt` (and its options) for the model to write it; exactly one. */
const PromptInputSchema = ScriptInputSchema.extend({
  script: ScriptInputSchema.shape.script.optional().describe('The extraction script (or give `prompt`)'),
  prompt: ExtractPromptOptsSchema.shape.prompt
    .optional()
    .describe('What to extract from each source, in words: the model writes the script (or give `script`)'),
  language: z
    .string()
    .min(1)
    .optional()
    .describe('With `prompt`: the language of the script the model writes (default python)'),
  maxAttempts: ExtractPromptOptsSchema.shape.maxAttempts.describe(
    'With `prompt`: most generation attempts (default 3)',
  ),
})
  .strict()
  .superRefine((input, ctx) => {
    const given = [input.script, input.prompt].filter((value) => value !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given === 0
            ? 'give `script` (the extraction script) or `prompt` (what to extract, for the model to write it)'
            : 'give either `script` or `prompt`, not both',
        path: given === 0 ? ['script'] : ['prompt'],
      });
    }
    if (input.script !== undefined && (input.language !== undefined || input.maxAttempts !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: '`language` and `maxAttempts` go with `prompt`; a script names its language itself',
        path: [input.language !== undefined ? 'language' : 'maxAttempts'],
      });
    }
  });

/** The answer as text: with a prompt, how the generation went and the script, then the extraction. */
function resultText(result: ExtractionWithScript): string {
  const { generated } = result;
  if (!generated) return extractText(result);
  const tries = plural(generated.attempts.length, 'attempt');
  const head = generated.ok
    ? `the model wrote a working ${generated.language} script in ${tries}:`
    : `no working script after ${tries}; the last error: ${generated.attempts.at(-1)?.error?.message ?? 'unknown'}`;
  const script = `\`\`\`${generated.language}\n${generated.source.replace(/\n?$/, '\n')}\`\`\``;
  const lines = [head, script];
  if (generated.ok) lines.push('', extractText(result));
  return lines.join('\n');
}

export function extractTools({ engine, llm }: BuiltinToolDeps): Tool[] {
  const common = {
    name: 'extract_sources',
    title: 'Extract records from many web sources',
    output: ExtractionWithScriptSchema,
    annotations: { readOnly: true, idempotent: false, openWorld: true },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    // The caller's token must allow every host the call asks for (the engine checks the server's policy).
    network: (input: { sources: Source[]; allow: string[] }) => allowEntries(input.sources, input.allow),
    metered: { cpuMs: extractionCpuMs },
    text: resultText,
  };
  if (!llm) {
    return [
      defineTool({
        ...common,
        description: DESCRIPTION,
        input: ScriptInputSchema,
        handler: (input, { signal, onNetwork }) =>
          runExtraction(engine, { ...input, signal, ...(onNetwork ? { onNetwork } : {}) }),
      }),
    ];
  }
  const extractSources = defineTool({
    ...common,
    description: DESCRIPTION + PROMPT_DESCRIPTION,
    input: PromptInputSchema,
    handler: async (input, { signal, onNetwork }) => {
      const { script, prompt, language, maxAttempts, ...opts } = input;
      const hooks = { signal, ...(onNetwork ? { onNetwork } : {}) };
      if (script !== undefined) return runExtraction(engine, { ...opts, ...hooks, script });
      const outcome = await extractWithPrompt(engine, {
        ...opts,
        ...hooks,
        prompt: prompt ?? '',
        language: engine.runtimes.resolve(language ?? 'python').name,
        ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        provider: llm,
      });
      return extractionWithScript(outcome);
    },
  });
  return [extractSources];
}
