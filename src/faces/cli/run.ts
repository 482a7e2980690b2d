/**
 * `scriptbox run <file | ->`: runs one script in a fresh sandbox. Without --json the script's stdout and
 * stderr pass through (on a terminal with control characters escaped unless --raw, see terminal-safe.ts)
 * and a one-line summary follows on stderr; with --json stdout carries exactly one JSON object, the
 * RunResult. The exit code says what happened (see EXIT_CODES_HELP).
 */
import { fstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { createEngine } from '../../engine/engine.js';
import { exitCodeForResult, type RunResult } from '../../engine/result.js';
import { UsageError } from '../../errors.js';
import { readAll, readUserFile, stdinOption, writeText } from './io.js';
import { cliNetworkPolicy, netOptions } from './net-options.js';
import {
  chooseRuntime,
  envFrom,
  envOption,
  languageChoices,
  limitOptions,
  limitsFrom,
  RunCliOptsSchema,
  type RunCliOpts,
} from './run-options.js';
import { CHECK_POLICIES } from '../../check/index.js';
import { checkedRun } from '../../workflows/checked-run.js';
import { Interrupt } from './interrupt.js';
import { showOutputs } from './run-outputs.js';
import { formatSkippedFiles, formatSummary } from './summary.js';
import { rawOption, writeUntrusted } from './terminal-safe.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0   the script succeeded
  1   the script failed (non-zero exit, uncaught error) or was cancelled
  2   usage error (bad option, unknown language, missing file)
  3   a limit was hit (timeout, cpu, memory, processes, output, disk)
  4   rejected before running (syntax error, checks)
  70  the sandbox is unavailable or scriptbox itself failed (run: scriptbox doctor)
  130 interrupted (Ctrl-C)`;

export const UNSAFE_WARNING =
  'scriptbox: WARNING: --unsafe-no-sandbox: the script runs directly on this machine, as your user, ' +
  'with no isolation at all: it can read and write your files, use the network and see your environment; ' +
  'memory, CPU and process limits are not enforced. Only do this with code you trust, on a machine you can throw away.\n';

export function runCommand(setExitCode: (code: number) => void): Command {
  const languages = languageChoices();
  const command = new Command('run')
    .description('run a script in a fresh sandbox with hard limits')
    .argument('<file>', 'the script file, or - to read the script from stdin (then --lang is needed)')
    .argument('[args...]', "the script's arguments, after -- (`scriptbox run s.py -- a b`: sys.argv[1:])")
    .option('--lang <language>', `${languages} (default: from the file extension)`);
  for (const option of limitOptions()) command.addOption(option);
  for (const option of netOptions()) command.addOption(option);
  return command
    .option(
      '--input <path>',
      'a file placed read-only in the work directory under its base name (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--stdin <path>',
      'a file given to the script on standard input (- for ours; default: ours when piped or redirected, else empty)',
    )
    .addOption(envOption())
    .option('--out-dir <dir>', 'copy the files the script writes under out/ into this directory')
    .option('--json', 'print the result as one JSON object on stdout instead of the script output')
    .addOption(rawOption())
    .addOption(
      new Option('--checks <policy>', 'static checks first: strict blocks on errors, warn reports them')
        .choices(CHECK_POLICIES)
        .default('off'),
    )
    .addOption(new Option('--unsafe-no-sandbox', 'run WITHOUT isolation (dangerous; trusted code only)'))
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (file: string, args: string[], raw: unknown) => {
      setExitCode(await runScript(file, args, RunCliOptsSchema.parse(raw)));
    });
}

/**
 * Whether our stdin carries data for the script: a pipe (`cat data.csv | scriptbox run s.py`; a socket
 * when a Node parent spawned us) or a redirected file. Not a terminal (nobody means to type the data) nor
 * /dev/null and other devices (nothing to read), so an interactive or detached run never waits on stdin.
 */
function stdinIsPiped(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket() || stat.isFile();
  } catch {
    return false; // no stdin at all
  }
}

/** The script's stdin: --stdin when given (- for ours), else ours when piped; undefined for empty. */
async function scriptStdin(file: string, opts: RunCliOpts): Promise<Buffer | undefined> {
  if (opts.stdin !== undefined) return stdinOption(opts.stdin);
  // With `-` our stdin was the script itself.
  return file !== '-' && stdinIsPiped() ? readAll(process.stdin) : undefined;
}

async function runScript(file: string, args: string[], opts: RunCliOpts): Promise<number> {
  if (file === '-' && opts.lang === undefined) {
    throw new UsageError('reading the script from stdin (-) needs --lang, e.g. --lang python');
  }
  if (file === '-' && opts.stdin === '-') {
    throw new UsageError('the script and --stdin cannot both come from standard input');
  }
  const source = file === '-' ? (await readAll(process.stdin)).toString('utf8') : readScript(file);
  const stdin = await scriptStdin(file, opts);
  if (opts.unsafeNoSandbox) await writeText(process.stderr, UNSAFE_WARNING);

  // One run per process: a warm pool would only start a sandbox nobody uses. On the command line the user
  // is the operator: the run is granted what --allow-net allows.
  const network = cliNetworkPolicy(opts);
  const engine = await createEngine({
    unsafeNoSandbox: opts.unsafeNoSandbox,
    pool: { size: 0 },
    ...(network ? { network } : {}),
  });
  const interrupt = new Interrupt();
  let result: RunResult;
  try {
    const runtime = chooseRuntime(engine.runtimes, file, opts.lang);
    result = await checkedRun({
      language: runtime.name,
      source,
      policy: opts.checks,
      run: () =>
        engine.run({
          language: runtime.name,
          source,
          ...(args.length > 0 ? { args } : {}),
          ...(stdin !== undefined ? { stdin } : {}),
          ...(opts.env.length > 0 ? { env: envFrom(opts.env) } : {}),
          files: opts.input.map((path) => ({ path })),
          limits: limitsFrom(opts),
          ...(opts.outDir !== undefined ? { outDir: resolve(opts.outDir) } : {}),
          ...(opts.allowNet.length > 0 ? { network: { allow: opts.allowNet } } : {}),
          signal: interrupt.signal,
        }),
    });
  } finally {
    interrupt.dispose();
    await engine.close();
  }
  await report(result, opts.json, opts.raw, opts.outDir);
  return interrupt.exitCode ?? exitCodeForResult(result);
}

function readScript(file: string): string {
  return readUserFile(file, 'script file').toString('utf8');
}

async function report(result: RunResult, json: boolean, raw: boolean, outDir?: string): Promise<void> {
  if (json) {
    await writeText(process.stdout, `${JSON.stringify(result)}\n`);
    return;
  }
  // The script's output, and messages that may quote it, are escaped on a terminal (terminal-safe.ts).
  const err = (text: string): Promise<void> => writeUntrusted(process.stderr, text, raw);
  for (const finding of result.findings ?? []) {
    const { line, column, severity, rule, message } = finding;
    await err(`scriptbox: check ${line}:${column} ${severity} ${rule}: ${message}\n`);
  }
  await writeUntrusted(process.stdout, result.stdout, raw);
  const imageLines = await showOutputs(result, raw, outDir === undefined ? undefined : resolve(outDir));
  await err(result.stderr);
  // Start the summary on its own line: after the script's stderr, or after its stdout on a shared terminal.
  const last =
    result.stderr !== '' ? result.stderr : process.stdout.isTTY && process.stderr.isTTY ? result.stdout : '';
  const newline = last === '' || last.endsWith('\n') ? '' : '\n';
  await err(`${newline}scriptbox: ${formatSummary(result)}\n`);
  for (const line of imageLines) await err(`scriptbox: ${line}\n`);
  for (const line of formatSkippedFiles(result)) await err(`scriptbox: ${line}\n`);
}
