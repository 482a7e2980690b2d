/**
 * `scriptbox scripts ...`: the script library from the command line. Results go to stdout (with --json,
 * exactly one JSON value); notes and prompts go to stderr. A name that is malformed or not in the
 * library exits 2 with what to do; `run` exits like `scriptbox run`.
 */
import { extname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { createEngine } from '../../engine/engine.js';
import { exitCodeForResult } from '../../engine/result.js';
import { UsageError } from '../../errors.js';
import { LIBRARY_LANGUAGES, openLibrary, type Library, type LibraryLanguage } from '../../library/index.js';
import { runLibraryScript } from '../../library/run.js';
import { describeScript, runLines, scriptTable } from '../../library/text.js';
import { plural } from '../../text.js';
import { builtinRuntimes } from '../../sandbox/runtimes/builtin.js';
import { RuntimeRegistry } from '../../sandbox/runtimes/registry.js';
import { Interrupt } from './interrupt.js';
import { note, out, printJson, readAll, readUserFile, stdinOption, wholeNumber, writeText } from './io.js';
import { chooseRuntime, limitOptions, limitsFrom, RunCliOptsSchema } from './run-options.js';
import { EXIT_CODES_HELP, UNSAFE_WARNING } from './run.js';
import { formatSummary } from './summary.js';
import { rawOption, writeUntrusted } from './terminal-safe.js';

type SetExitCode = (code: number) => void;

/** Every subcommand's options as commander collects them (it hands them out untyped). */
const [text, count, flag] = [z.string(), z.number(), z.boolean()];
const CliOpts = z
  .object({ category: text, task: text, description: text, tags: text, lang: text, file: text, note: text })
  .extend({ limit: count, version: count, yes: flag, json: flag })
  .partial();
const NAME = ['<name>', 'the script name, like math_addition_001.py'] as const;

/** Opens the library (SCRIPTBOX_HOME, else ~/.scriptbox) for one command and always closes it. */
async function withLibrary<T>(fn: (lib: Library) => T | Promise<T>): Promise<T> {
  const lib = openLibrary();
  try {
    return await fn(lib);
  } finally {
    lib.close();
  }
}

const registry = (): RuntimeRegistry => new RuntimeRegistry(builtinRuntimes());

function libraryLanguage(runtime: string): LibraryLanguage {
  const found = LIBRARY_LANGUAGES.find((language) => language === runtime);
  if (found) return found;
  throw new UsageError(`the library keeps ${LIBRARY_LANGUAGES.join(', ')} scripts, not ${runtime}`);
}

async function readSource(file: string): Promise<string> {
  const bytes = file === '-' ? await readAll(process.stdin) : readUserFile(file, 'script file');
  return bytes.toString('utf8');
}

/** Asks on `output`, reads one line from `input`: true only for y or yes. End of input means no. */
export function askYesNo(
  question: string,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<boolean> {
  return new Promise((done) => {
    const rl = createInterface({ input, output });
    let answered = false;
    rl.once('close', () => done(answered));
    rl.on('SIGINT', () => rl.close());
    rl.question(question, (answer) => {
      answered = /^\s*y(es)?\s*$/i.test(answer);
      rl.close();
    });
  });
}

function saveCommand(): Command {
  return new Command('save')
    .description('save a script file as a new library script (version 1) named category_task_NNN.ext')
    .argument('<file>', 'the script file, or - to read it from stdin (then --lang is needed)')
    .requiredOption('--category <category>', 'first part of the name: a lowercase word, like math')
    .requiredOption('--task <task>', 'second part: lowercase words joined by _, like addition')
    .option('--description <text>', 'what the script does (searchable)')
    .option('--tags <list>', 'comma-separated keywords (searchable), like csv,stats')
    .option('--lang <language>', 'python|javascript|typescript|bash (default: from the file extension)')
    .option('--json', 'print the saved script as one JSON object')
    .action(async (file: string, raw: unknown) => {
      const { category = '', task = '', description, tags, lang, json } = CliOpts.parse(raw);
      const language = libraryLanguage(chooseRuntime(registry(), file, lang).name);
      const source = await readSource(file);
      const tagList = (tags ?? '').split(',').filter((tag) => tag.trim() !== '');
      const saved = await withLibrary((lib) =>
        lib.save({ category, task, language, source, tags: tagList, description }),
      );
      if (json) return printJson(saved);
      await out(`${saved.name}\n`);
      if (saved.existed) await note(`already saved as ${saved.name} (same source; nothing new saved)`);
      else await note(`saved ${saved.name} (${saved.language}, version 1)`);
    });
}

function listCommand(): Command {
  return new Command('list')
    .description('list library scripts by name')
    .option('--category <category>', 'only this category')
    .option('--lang <language>', 'only this language')
    .option('--limit <n>', 'at most n scripts (default 1000)', wholeNumber)
    .option('--json', 'print a JSON array')
    .action(async (raw: unknown) => {
      const { category, lang, limit, json } = CliOpts.parse(raw);
      const language = lang === undefined ? undefined : libraryLanguage(registry().resolve(lang).name);
      const scripts = await withLibrary((lib) => lib.list({ category, language, limit }));
      if (json) return printJson(scripts);
      if (scripts.length > 0) return out(scriptTable(scripts.map((s) => ({ ...s, text: s.description }))));
      await note('no scripts; save one with `scriptbox scripts save <file> --category C --task T`');
    });
}

function showCommand(): Command {
  return new Command('show')
    .description('print a library script: its source on stdout, what it is on stderr')
    .argument(...NAME)
    .option('--version <n>', 'this version (default: the current one)', wholeNumber)
    .option('--json', 'print the script, with its versions, as one JSON object')
    .action(async (name: string, raw: unknown) => {
      const { version, json } = CliOpts.parse(raw);
      await withLibrary(async (lib) => {
        const script = lib.get(name, { version });
        if (json) return printJson({ ...script, versions: lib.versions(name) });
        await out(script.source);
        await note(describeScript(script));
      });
    });
}

function updateCommand(): Command {
  return new Command('update')
    .description('save a new version of a library script (the old versions are kept)')
    .argument(...NAME)
    .requiredOption('--file <file>', 'the new source, or - to read it from stdin')
    .option('--note <text>', 'why it changed, kept with the version')
    .option('--json', 'print the updated script as one JSON object')
    .action(async (name: string, raw: unknown) => {
      const { file = '-', note: why, json } = CliOpts.parse(raw);
      const updated = await withLibrary(async (lib) => {
        const script = lib.get(name);
        const looks = extname(file) === '' ? undefined : registry().forExtension(extname(file))?.name;
        if (looks !== undefined && looks !== script.language) {
          throw new UsageError(`${name} is a ${script.language} script, but ${file} looks like ${looks}`);
        }
        const source = await readSource(file);
        return lib.update(name, { source, note: why, baseVersion: script.currentVersion });
      });
      if (json) return printJson(updated);
      await note(`updated ${updated.name} to version ${updated.version}`);
    });
}

function deleteCommand(setExitCode: SetExitCode): Command {
  return new Command('delete')
    .description('delete a library script and all its versions (the audit log keeps the record)')
    .argument(...NAME)
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--json', 'print what was deleted as one JSON object')
    .action(async (name: string, raw: unknown) => {
      const { yes, json } = CliOpts.parse(raw);
      await withLibrary(async (lib) => {
        lib.get(name);
        if (yes !== true) {
          if (!process.stdin.isTTY) {
            throw new UsageError(`not deleting ${name}: there is no terminal to confirm on; pass --yes`);
          }
          if (!(await askYesNo(`delete ${name}? [y/N] `, process.stdin, process.stderr))) {
            setExitCode(1);
            return note(`kept ${name}`);
          }
        }
        const deleted = lib.delete(name);
        if (json) return printJson(deleted);
        await note(
          `deleted ${name} (${plural(deleted.versions, 'version')}, ${plural(deleted.runs, 'run')})`,
        );
      });
    });
}

function searchCommand(): Command {
  return new Command('search')
    .description('search library scripts by name, description, tags and source (best matches first)')
    .argument('<words...>', 'words to look for; every word must match (as a word or a word start)')
    .option('--limit <n>', 'at most n results (default 20)', wholeNumber)
    .option('--json', 'print a JSON array')
    .action(async (words: string[], raw: unknown) => {
      const { limit, json } = CliOpts.parse(raw);
      const query = words.join(' ');
      const hits = await withLibrary((lib) => lib.search(query, { limit }));
      if (json) return printJson(hits);
      if (hits.length > 0) return out(scriptTable(hits.map((hit) => ({ ...hit, text: hit.snippet }))));
      await note(`no script matches ${JSON.stringify(query)}`);
    });
}

const RunScriptCli = RunCliOptsSchema.extend({ version: z.number().optional() });
type RunScriptOpts = z.infer<typeof RunScriptCli>;

function runCommand(setExitCode: SetExitCode): Command {
  const command = new Command('run')
    .description('run a library script in a fresh sandbox and record the run in its history')
    .argument(...NAME)
    .option('--version <n>', 'run this version (default: the current one)', wholeNumber);
  for (const option of limitOptions()) command.addOption(option);
  return command
    .option('--input <path>', 'a file placed read-only in the work dir (repeatable)', (value, previous) => [
      ...((previous as string[] | undefined) ?? []),
      value,
    ])
    .option('--stdin <path>', 'a file given to the script on standard input (- for our stdin)')
    .option('--out-dir <dir>', 'copy the files the script writes under out/ into this directory')
    .option('--json', 'print the RunResult, with script: { name, version }, as one JSON object')
    .addOption(rawOption())
    .addOption(new Option('--unsafe-no-sandbox', 'run WITHOUT isolation (dangerous; trusted code only)'))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (name: string, raw: unknown) => {
      setExitCode(await withLibrary((lib) => runFromLibrary(lib, name, RunScriptCli.parse(raw))));
    });
}

async function runFromLibrary(lib: Library, name: string, opts: RunScriptOpts): Promise<number> {
  lib.get(name, { version: opts.version });
  const stdin = await stdinOption(opts.stdin);
  if (opts.unsafeNoSandbox) await writeText(process.stderr, UNSAFE_WARNING);
  const engine = await createEngine({ unsafeNoSandbox: opts.unsafeNoSandbox, pool: { size: 0 } });
  const interrupt = new Interrupt();
  try {
    const { script, result } = await runLibraryScript(lib, engine, name, {
      version: opts.version,
      ...(stdin !== undefined ? { stdin } : {}),
      files: opts.input.map((path) => ({ path })),
      limits: limitsFrom(opts),
      ...(opts.outDir !== undefined ? { outDir: resolve(opts.outDir) } : {}),
      signal: interrupt.signal,
    });
    if (opts.json) {
      await printJson({ ...result, script: { name: script.name, version: script.version } });
    } else {
      // The script's output, and a summary that may quote it, are escaped on a terminal (terminal-safe.ts).
      await writeUntrusted(process.stdout, result.stdout, opts.raw);
      const newline = result.stderr === '' || result.stderr.endsWith('\n') ? '' : '\n';
      await writeUntrusted(process.stderr, `${result.stderr}${newline}`, opts.raw);
      const summary = `${script.name} v${script.version}: ${formatSummary(result)}`;
      await writeUntrusted(process.stderr, `scriptbox: ${summary}\n`, opts.raw);
    }
    return interrupt.exitCode ?? exitCodeForResult(result);
  } finally {
    interrupt.dispose();
    await engine.close();
  }
}

function historyCommand(): Command {
  return new Command('history')
    .description('the runs of a library script, newest first')
    .argument(...NAME)
    .option('--limit <n>', 'at most n runs (default 100)', wholeNumber)
    .option('--json', 'print a JSON array')
    .action(async (name: string, raw: unknown) => {
      const { limit, json } = CliOpts.parse(raw);
      const runs = await withLibrary((lib) => lib.history(name, { limit }));
      if (json) return printJson(runs);
      if (runs.length > 0) return out(runLines(runs));
      await note(`${name} has not been run; run it with \`scriptbox scripts run ${name}\``);
    });
}

/** `scriptbox scripts <command>`; a command that succeeds leaves the exit code at 0. */
export function scriptsCommand(setExitCode: SetExitCode): Command {
  const command = new Command('scripts').description(
    'the script library: scripts kept by name (category_task_NNN.ext) with versions, history and search',
  );
  const commands = [saveCommand(), listCommand(), showCommand(), updateCommand(), deleteCommand(setExitCode)];
  for (const sub of [...commands, searchCommand(), runCommand(setExitCode), historyCommand()]) {
    command.addCommand(sub);
  }
  return command;
}
