/**
 * `scriptbox extract <script> --sources <file>`: runs one extraction script over many web sources, each
 * run granted its source's host only (plus --allow-net), in parallel sandboxes. Without --json the report
 * (summary, records per source as tables, metadata, errors with what to do) goes to stdout; with --json
 * stdout carries one JSON object. Lifecycle logs are JSON lines on stderr (default: when stderr is not a
 * terminal; a live progress line is drawn when it is). With --prompt an LLM writes the script first.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { createEngine, type Engine } from '../../engine/engine.js';
import { UsageError } from '../../errors.js';
import { noProviderError } from '../../generate/llm/generate.js';
import { llmProviderFromEnv } from '../../generate/llm/provider.js';
import { TaskSchema } from '../../library/names.js';
import {
  allowEntries,
  DEFAULT_EXTRACT_CONCURRENCY,
  ExtractOptsSchema,
  extractWithPrompt,
  formatExtraction,
  jsonLineLogger,
  parseSources,
  runExtraction,
  type ExtractionResult,
  type ExtractLogger,
  type ExtractProgress,
  type Source,
} from '../../workflows/extract/index.js';
import { withLibrary } from './generate-library.js';
import { Interrupt } from './interrupt.js';
import { readAll, readUserFile, writeText } from './io.js';
import { cliNetworkPolicy, NetCliOptsSchema, netOptions } from './net-options.js';
import { ProgressBar } from './progress.js';
import { chooseRuntime, languageChoices, limitOptions, limitsFrom, RunCliOptsSchema } from './run-options.js';
import { rawOption, writeUntrusted } from './terminal-safe.js';

const EXTRACT_HELP = `
The sources file holds one URL per line (http or https; # comments and blank lines skipped), or one JSON
object per line with "url" and any other fields. Each run gets its source as JSON on stdin and its URL as
SOURCE_URL, may reach the source's host only (plus --allow-net), and prints its records as a JSON array or
one JSON object per line.

--prompt needs an OpenAI-compatible endpoint (SCRIPTBOX_LLM_BASE_URL, SCRIPTBOX_LLM_MODEL, and
SCRIPTBOX_LLM_API_KEY if it needs one): the model writes the script from the description and the first
source's page (fetched in the sandbox), it is repaired on the first source, then run over all of them.

Exit codes:
  0   every source succeeded
  1   at least one source failed (or, with --prompt, no working script came out)
  2   usage error (bad option, bad sources file, a limit above its ceiling)
  130 interrupted (Ctrl-C): running sources are cancelled, the results so far are still printed`;

function parseConcurrency(value: string): number {
  const text = value.trim();
  const checked = ExtractOptsSchema.shape.concurrency.safeParse(/^\d+$/.test(text) ? Number(text) : NaN);
  if (!checked.success) throw new InvalidArgumentError('expected a whole number from 1 to 64.');
  return checked.data;
}

function parseTask(value: string): string {
  const checked = TaskSchema.safeParse(value);
  if (!checked.success) throw new InvalidArgumentError(checked.error.issues.map((i) => i.message).join('; '));
  return checked.data;
}

const ExtractCliOptsSchema = RunCliOptsSchema.pick({
  lang: true,
  timeout: true,
  cpu: true,
  memory: true,
  maxOutput: true,
  json: true,
  raw: true,
  outDir: true,
})
  .extend(NetCliOptsSchema.shape)
  .extend({
    sources: z.string(),
    concurrency: z.number().optional(),
    prompt: z.string().optional(),
    save: z.string().optional(),
    log: z.boolean().optional(),
  });
type ExtractCliOpts = z.infer<typeof ExtractCliOptsSchema>;

export function extractCommand(setExitCode: (code: number) => void): Command {
  const languages = languageChoices();
  const command = new Command('extract')
    .description('run an extraction script over many web sources, each granted its own host only')
    .argument('[script]', 'the extraction script (with --prompt: where to write the generated one)')
    .requiredOption('--sources <file>', 'URLs, one per line, or JSON lines with "url" (- for stdin)')
    .option(
      '--concurrency <n>',
      `sources at once (default: ${DEFAULT_EXTRACT_CONCURRENCY})`,
      parseConcurrency,
    )
    .option('--lang <language>', `${languages} (default: from the file extension; python with --prompt)`);
  for (const option of [...limitOptions(), ...netOptions()]) command.addOption(option);
  return command
    .option('--json', 'print the result as one JSON object on stdout instead of the report')
    .option('--out-dir <dir>', "write result.json and each source's records (NNNN.json) into this directory")
    .option('--prompt <text>', 'what to extract: an LLM writes the script (see below)')
    .option('--save <task>', 'with --prompt: save the script to the library as extract_<task>_NNN', parseTask)
    .addOption(new Option('--log', 'lifecycle logs as JSON lines on stderr (default: when not a terminal)'))
    .addOption(new Option('--no-log', 'no lifecycle logs'))
    .addOption(rawOption())
    .addHelpText('after', EXTRACT_HELP)
    .action(async (file: string | undefined, raw: unknown) => {
      setExitCode(await extract(file, ExtractCliOptsSchema.parse(raw)));
    });
}

async function readSources(path: string): Promise<Source[]> {
  const text = path === '-' ? await readAll(process.stdin) : readUserFile(path, '--sources file');
  return parseSources(text.toString('utf8'), path === '-' ? 'stdin' : path);
}

async function extract(file: string | undefined, opts: ExtractCliOpts): Promise<number> {
  if (opts.prompt === undefined && file === undefined) {
    throw new UsageError('name the extraction script, or describe it with --prompt "what to extract"');
  }
  if (opts.save !== undefined && opts.prompt === undefined) throw new UsageError('--save goes with --prompt');
  if (file === '-')
    throw new UsageError('the extraction script must be a file (sources may come from stdin)');
  if (opts.prompt !== undefined && file !== undefined && existsSync(file)) {
    throw new UsageError(`${file} exists: with --prompt the script is written there; name a new file`);
  }
  const source =
    opts.prompt === undefined && file !== undefined ? readUserFile(file, 'script file').toString('utf8') : '';
  const sources = await readSources(opts.sources);
  const provider = opts.prompt !== undefined ? llmProviderFromEnv() : null;
  if (opts.prompt !== undefined && !provider) throw noProviderError(opts.prompt, undefined);

  const policy = cliNetworkPolicy(opts, allowEntries(sources, opts.allowNet));
  // Every run carries its own network grant: a warm pool would go unused.
  const engine = await createEngine({
    pool: { size: 0 },
    ...(policy ? { network: policy } : {}),
  });
  const interrupt = new Interrupt();
  const bar = new ProgressBar(process.stderr);
  const logging = opts.log ?? process.stderr.isTTY !== true;
  const log: ExtractLogger | undefined = logging
    ? jsonLineLogger((line) => {
        bar.clear();
        process.stderr.write(line);
      })
    : undefined;
  const common = {
    sources,
    allow: opts.allowNet,
    limits: limitsFrom(opts),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    signal: interrupt.signal,
    onProgress: (progress: ExtractProgress) => bar.update(progress),
    ...(log ? { log } : {}),
  };
  try {
    bar.update({ done: 0, total: sources.length, succeeded: 0, failed: 0 });
    if (opts.prompt === undefined) {
      const language = chooseRuntime(engine.runtimes, file ?? '', opts.lang).name;
      const result = await runExtraction(engine, { ...common, script: { language, source } });
      bar.clear();
      await report(result, opts);
      return interrupt.exitCode ?? (result.ok ? 0 : 1);
    }
    if (!provider) throw noProviderError(opts.prompt, undefined);
    return await fromPrompt(engine, file, opts, { ...common, prompt: opts.prompt, provider }, interrupt, bar);
  } finally {
    bar.clear();
    interrupt.dispose();
    await engine.close();
  }
}

type Common = Omit<Parameters<typeof extractWithPrompt>[1], 'save' | 'language'>;

async function fromPrompt(
  engine: Engine,
  file: string | undefined,
  opts: ExtractCliOpts,
  common: Common,
  interrupt: Interrupt,
  bar: ProgressBar,
): Promise<number> {
  const language = opts.lang !== undefined ? engine.runtimes.resolve(opts.lang).name : 'python';
  const run = (save?: Parameters<typeof extractWithPrompt>[1]['save']) =>
    extractWithPrompt(engine, { ...common, language, ...(save ? { save } : {}) });
  const outcome =
    opts.save !== undefined
      ? await withLibrary((library) => run({ library, task: opts.save ?? '' }))
      : await run();
  bar.clear();
  const { generation, extraction, saved, page } = outcome;
  if (file !== undefined && generation.source !== '')
    await writeFile(file, generation.source, { flag: 'wx' });
  if (opts.json) {
    await writeText(process.stdout, `${JSON.stringify(outcome)}\n`);
  } else {
    const note = (text: string): Promise<void> =>
      writeUntrusted(process.stderr, `scriptbox: ${text}\n`, opts.raw);
    if (page.error) await note(`the first page could not be fetched: ${page.error}`);
    const tries = generation.attempts.length;
    await note(
      generation.ok
        ? `the model wrote a working script in ${tries} attempt${tries === 1 ? '' : 's'}${file ? ` (written to ${file})` : ''}`
        : `no working script after ${tries} attempts; the last error: ${generation.attempts.at(-1)?.error?.message ?? 'unknown'}`,
    );
    if (saved) await note(`saved to the library as ${saved}`);
    if (extraction) await report(extraction, { ...opts, json: false });
  }
  if (extraction && opts.outDir !== undefined) await writeOutDir(extraction, opts.outDir);
  if (!extraction) return interrupt.exitCode ?? 1;
  return interrupt.exitCode ?? (extraction.ok ? 0 : 1);
}

async function report(
  result: ExtractionResult,
  opts: Pick<ExtractCliOpts, 'json' | 'raw' | 'outDir'>,
): Promise<void> {
  if (opts.json) await writeText(process.stdout, `${JSON.stringify(result)}\n`);
  else await writeUntrusted(process.stdout, formatExtraction(result), opts.raw);
  if (opts.outDir !== undefined) await writeOutDir(result, opts.outDir);
}

/** `result.json` (the whole result) and `NNNN.json` (each source's records) in `dir`. */
async function writeOutDir(result: ExtractionResult, dir: string): Promise<void> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  for (const source of result.sources) {
    const name = `${String(source.index).padStart(4, '0')}.json`;
    await writeFile(join(root, name), `${JSON.stringify(source.records, null, 2)}\n`);
  }
}
