/**
 * `scriptbox generate <template-id> [--param key=value]... [--out file] [--json]`: renders a template.
 * `scriptbox generate --prompt "<text>" [--lang python] [--run] [--max-attempts N] [--json]`: asks the
 * configured LLM (SCRIPTBOX_LLM_*), repairing failed attempts; every attempt is reported on stderr.
 * Without --json stdout carries the code (with --run: the final run's output, the code goes to --out);
 * with --json exactly one JSON object.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { exitCodeForResult } from '../../engine/result.js';
import { FileNotFoundError, UsageError } from '../../errors.js';
import { generateFromTemplate } from '../../generate/from-template.js';
import {
  generateFromPrompt,
  noProviderError,
  type GenerationAttempt,
  type PromptGeneration,
} from '../../generate/llm/generate.js';
import { llmProviderFromEnv } from '../../generate/llm/provider.js';
import { parseParamArgs } from '../../generate/param-args.js';
import { createTemplateRegistry, type TemplateRegistry } from '../../generate/registry.js';
import { plural } from '../../text.js';
import {
  describeSaved,
  generationCache,
  saveGenerated,
  savedJson,
  withLibrary,
  type SavedAs,
} from './generate-library.js';
import { checkForRepair } from '../../workflows/checked-run.js';
import { Interrupt } from './interrupt.js';
import { writeText } from './io.js';
import { languageChoices, limitOptions, limitsFrom, RunCliOptsSchema } from './run-options.js';
import { formatSummary } from './summary.js';
import { rawOption, writeUntrusted } from './terminal-safe.js';

const GENERATE_HELP = `
Templates are the default: instant, free and deterministic (see \`scriptbox templates\`). Parameter values
are typed by the template: numbers, true/false, lists as a,b,c or a JSON array.

--prompt needs an OpenAI-compatible endpoint: SCRIPTBOX_LLM_BASE_URL, SCRIPTBOX_LLM_MODEL and, if it needs
one, SCRIPTBOX_LLM_API_KEY. With --run each attempt runs in the sandbox and a failure is sent back to
the model for a fix, up to --max-attempts.

Exit codes:
  0   generated (with --run: the final attempt ran successfully)
  1   with --run: the final attempt failed at run time or was cancelled
  2   usage error: bad option or parameter value, unknown template, no LLM configured
  3   with --run: the final attempt hit a limit
  4   the final attempt was rejected (no code in the reply, or a failed check)
  70  the LLM endpoint or the sandbox failed
  130 interrupted (Ctrl-C)`;

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function parseAttempts(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 10) throw new InvalidArgumentError('expected 1 to 10.');
  return n;
}

const GenerateCliOptsSchema = RunCliOptsSchema.pick({
  timeout: true,
  cpu: true,
  memory: true,
  maxOutput: true,
  json: true,
  raw: true,
  input: true,
}).extend({
  param: z.array(z.string()).default([]),
  prompt: z.string().optional(),
  lang: z.string().optional(),
  run: z.boolean().default(false),
  maxAttempts: z.number().optional(),
  out: z.string().optional(),
  save: z.boolean().default(false),
  category: z.string().optional(),
  task: z.string().optional(),
});
type GenerateCliOpts = z.infer<typeof GenerateCliOptsSchema>;

export function generateCommand(setExitCode: (code: number) => void): Command {
  const languages = languageChoices();
  const command = new Command('generate')
    .description('generate a script from a template (default) or, with --prompt, from an LLM')
    .argument('[template-id]', 'the template, <pack>/<name>, e.g. stats/descriptive')
    .option('--param <key=value>', 'a template parameter (repeatable)', collect)
    .option('--out <file>', 'write the generated code to this file instead of stdout')
    .option('--json', 'print one JSON object on stdout')
    .option('--prompt <text>', 'what the script should do, for the LLM')
    .option('--lang <language>', `with --prompt: ${languages} (default: python)`)
    .option('--run', 'with --prompt: run each attempt in the sandbox, repairing failures')
    .option('--max-attempts <n>', 'with --prompt: most attempts (default: 3)', parseAttempts)
    .option(
      '--input <path>',
      'with --run: a file placed read-only in the work directory (repeatable)',
      collect,
    );
  command
    .option('--save', 'keep the generated script in the library (a template gives category and task)')
    .option('--category <category>', 'with --save: the category of the name (category_task_NNN.ext)')
    .option('--task <task>', 'with --save: the task of the name');
  for (const option of limitOptions()) command.addOption(option);
  command.addOption(rawOption());
  return command.addHelpText('after', GENERATE_HELP).action(async (id: string | undefined, raw: unknown) => {
    const opts = GenerateCliOptsSchema.parse(raw);
    setExitCode(
      opts.prompt !== undefined ? await fromPrompt(id, opts.prompt, opts) : await fromTemplate(id, opts),
    );
  });
}

function writeOut(path: string, source: string): string {
  const target = resolve(path);
  try {
    writeFileSync(target, source);
  } catch (cause) {
    throw new FileNotFoundError(`cannot write --out file ${path}: ${(cause as Error).message}`, { cause });
  }
  return target;
}

async function fromTemplate(id: string | undefined, opts: GenerateCliOpts): Promise<number> {
  if (id === undefined) {
    throw new UsageError(
      'name a template (see `scriptbox templates list`) or describe the script with --prompt',
    );
  }
  const promptOnly = [opts.lang && '--lang', opts.run && '--run', opts.maxAttempts && '--max-attempts'];
  const misplaced = [...promptOnly, opts.input.length > 0 && '--input'].filter(Boolean);
  if (misplaced.length > 0) throw new UsageError(`only with --prompt: ${misplaced.join(', ')}`);
  const registry = createTemplateRegistry();
  const template = registry.get(id);
  const params = parseParamArgs(template.params, opts.param, id);
  const [pack, name] = id.split('/');
  const { generated, saved } = await withLibrary((library) => {
    const cache = generationCache(library, template.language, 'template');
    const result = generateFromTemplate(registry, { id, params, cache });
    const savedAs = opts.save
      ? saveGenerated(library, {
          category: opts.category ?? pack,
          task: opts.task ?? name?.replaceAll('-', '_'),
          language: result.language,
          source: result.source,
          description: template.description,
          generator: 'template',
        })
      : undefined;
    return { generated: result, saved: savedAs };
  });
  const out = opts.out !== undefined ? writeOut(opts.out, generated.source) : undefined;
  if (opts.json) {
    const extra = { ...(out ? { out } : {}), ...savedJson(saved) };
    await writeText(process.stdout, `${JSON.stringify({ ...generated, ...extra })}\n`);
  } else if (out || saved) {
    const what = `${generated.id} (${generated.language})`;
    const done = [out && `wrote ${what} to ${out}`, saved && describeSaved(saved, what)].filter(Boolean);
    await writeText(process.stderr, `scriptbox: ${done.join('; ')}\n`);
    if (!out) await writeText(process.stdout, generated.source);
  } else {
    await writeText(process.stdout, generated.source);
  }
  return 0;
}

function registryOrUndefined(): TemplateRegistry | undefined {
  try {
    return createTemplateRegistry();
  } catch {
    return undefined; // suggestions are a courtesy: a broken user pack must not hide the real message
  }
}

function describeAttempt(attempt: GenerationAttempt): string {
  const source = attempt.fromCache ? 'from cache' : `model ${attempt.llmMs} ms`;
  if (attempt.run) return `attempt ${attempt.attempt} (${source}): ${formatSummary(attempt.run)}`;
  const outcome = attempt.error ? `${attempt.error.kind} · ${attempt.error.message}` : 'ok';
  return `attempt ${attempt.attempt} (${source}): ${outcome.split('\n')[0] ?? ''}`;
}

async function fromPrompt(id: string | undefined, prompt: string, opts: GenerateCliOpts): Promise<number> {
  if (id !== undefined) throw new UsageError(`give either a template id (${id}) or --prompt, not both`);
  if (opts.param.length > 0) throw new UsageError('--param goes with a template id, not with --prompt');
  if (opts.input.length > 0 && !opts.run) throw new UsageError('--input needs --run');
  const provider = llmProviderFromEnv();
  if (!provider) throw noProviderError(prompt, registryOrUndefined());
  if (opts.save && (opts.category === undefined || opts.task === undefined)) {
    throw new UsageError(
      '--save with --prompt needs --category and --task (the name becomes category_task_NNN.ext)',
    );
  }
  const language = opts.lang ?? 'python';
  const interrupt = new Interrupt();
  let generation: PromptGeneration;
  let saved: SavedAs | undefined;
  try {
    generation = await withLibrary(async (library) => {
      const result = await generateFromPrompt({
        prompt,
        language,
        provider,
        cache: generationCache(library, language, 'llm'),
        check: checkForRepair,
        run: opts.run,
        ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
        files: opts.input.map((path) => ({ path })),
        limits: limitsFrom(opts),
        signal: interrupt.signal,
        onAttempt: (attempt) => {
          // An attempt's error quotes the model's code or its run: escaped on a terminal (terminal-safe.ts).
          if (!opts.json)
            void writeUntrusted(process.stderr, `scriptbox: ${describeAttempt(attempt)}\n`, opts.raw);
        },
      });
      if (opts.save && result.ok) {
        saved = saveGenerated(library, {
          category: opts.category,
          task: opts.task,
          language,
          source: result.source,
          description: prompt.slice(0, 2000),
          generator: 'llm',
        });
      }
      return result;
    });
  } catch (err) {
    if (interrupt.exitCode !== null) return interrupt.exitCode;
    throw err;
  } finally {
    interrupt.dispose();
  }
  const last = generation.attempts[generation.attempts.length - 1];
  const out =
    opts.out !== undefined && generation.source !== '' ? writeOut(opts.out, generation.source) : undefined;
  if (opts.json) {
    const extra = { ...(out ? { out } : {}), ...savedJson(saved) };
    await writeText(process.stdout, `${JSON.stringify({ ...generation, ...extra })}\n`);
  } else {
    // The model's code and its run's output are untrusted: escaped on a terminal unless --raw.
    if (opts.run) await writeUntrusted(process.stdout, last?.run?.stdout ?? '', opts.raw);
    else if (!out) await writeUntrusted(process.stdout, generation.source, opts.raw);
    const tries = plural(generation.attempts.length, 'attempt');
    const kept = saved ? `; ${describeSaved(saved)}` : '';
    const where = (out ? `; code in ${out}` : opts.run ? '; add --out <file> to keep the code' : '') + kept;
    await writeText(process.stderr, `scriptbox: ${generation.ok ? 'ok' : 'failed'} after ${tries}${where}\n`);
  }
  if (generation.ok) return 0;
  return last?.run ? exitCodeForResult(last.run) : 4;
}
