/**
 * `scriptbox instrument <dir> --out <dir>` / `--in-place` / `--remove <dir>`: telemetry instrumentation of
 * a whole source tree (src/workflows/instrument). A progress bar on a terminal; a summary on stderr, or
 * with --json one JSON object on stdout.
 */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { createEngine } from '../../engine/engine.js';
import { UsageError } from '../../errors.js';
import { plural } from '../../text.js';
import {
  DEFAULT_WORKERS,
  INSTRUMENT_POOL,
  INSTRUMENT_LANGUAGES,
  instrumentTree,
  removeInstrumentation,
  type InstrumentLanguage,
  type InstrumentProgress,
  type InstrumentResult,
  type RemoveOutcome,
} from '../../workflows/instrument/index.js';
import { withLibrary } from './generate-library.js';
import { Interrupt } from './interrupt.js';
import { printJson, writeText } from './io.js';
import { ProgressBar } from './progress.js';

const INSTRUMENT_HELP = `
Each function gets an enter and exactly one exit or error event per call, written as JSON lines to the
file named by SCRIPTBOX_TELEMETRY_FILE when the instrumented program runs (nothing without it). Inserted
code goes on existing lines where the language allows, so line numbers stay the user's.

--out writes an instrumented copy (a new or empty directory); --in-place changes the tree itself. A
manifest (.scriptbox-instrument.json) records what was inserted: --remove <dir> gives back the original
bytes, refusing any file changed since. Instrumenting an instrumented tree changes nothing.

Exit codes:
  0   done (functions that could not be instrumented are listed, not failures)
  1   --remove refused a file changed since instrumentation
  2   usage error
  70  the sandbox is unavailable or an insertion batch failed
  130 interrupted (Ctrl-C)`;

const InstrumentCliSchema = z.object({
  out: z.string().optional(),
  inPlace: z.boolean().optional(),
  remove: z.string().optional(),
  lang: z.array(z.enum(INSTRUMENT_LANGUAGES)).default([]),
  exclude: z.array(z.string()).default([]),
  workers: z.number().int().min(1).max(64).optional(),
  dryRun: z.boolean().optional(),
  json: z.boolean().optional(),
});
type InstrumentCli = z.infer<typeof InstrumentCliSchema>;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function parseLanguage(value: string, previous: InstrumentLanguage[] = []): InstrumentLanguage[] {
  const language = INSTRUMENT_LANGUAGES.find((name) => name === value.trim().toLowerCase());
  if (language === undefined)
    throw new InvalidArgumentError(`use one of ${INSTRUMENT_LANGUAGES.join(', ')}.`);
  return [...previous, language];
}

function parseWorkers(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidArgumentError('expected a whole number from 1 to 64.');
  return n;
}

export function instrumentCommand(setExitCode: (code: number) => void): Command {
  return new Command('instrument')
    .description('insert telemetry (enter / exit / error per function call) into a whole source tree')
    .argument('[dir]', 'the source tree')
    .option('--out <dir>', 'write the instrumented copy here (a new or empty directory)')
    .option('--in-place', 'instrument the tree itself')
    .option('--remove <dir>', 'give an instrumented tree back its original bytes')
    .option(
      '--lang <language>',
      `only this language (repeatable): ${INSTRUMENT_LANGUAGES.join(', ')}`,
      parseLanguage,
    )
    .option('--exclude <glob>', 'leave matching paths alone (repeatable)', collect)
    .option('--workers <n>', `sandbox runs in flight (default: ${DEFAULT_WORKERS})`, parseWorkers)
    .option('--dry-run', 'scan, analyse and report what would be instrumented; write nothing')
    .option('--json', 'print the result as one JSON object on stdout')
    .addHelpText('after', INSTRUMENT_HELP)
    .action(async (dir: string | undefined, raw: unknown) => {
      const opts = InstrumentCliSchema.parse(raw);
      setExitCode(
        opts.remove !== undefined ? await remove(dir, opts.remove, opts) : await instrument(dir, opts),
      );
    });
}

async function remove(dir: string | undefined, target: string, opts: InstrumentCli): Promise<number> {
  if (dir !== undefined || opts.out !== undefined || opts.inPlace === true || opts.dryRun === true)
    throw new UsageError('--remove <dir> takes no other directory, --out, --in-place or --dry-run');
  const outcome = await removeInstrumentation(target);
  if (opts.json) await printJson(outcome);
  else await writeText(process.stderr, formatRemove(target, outcome));
  return outcome.refused.length > 0 ? 1 : 0;
}

export function formatRemove(target: string, outcome: RemoveOutcome): string {
  const lines = [
    `scriptbox: ${target}: restored ${plural(outcome.restored.length, 'file')}, ` +
      `${outcome.unchanged.length} already original, removed ${plural(outcome.runtimeRemoved.length, 'runtime file')}`,
  ];
  for (const refused of outcome.refused) lines.push(`  refused ${refused.path}: ${refused.reason}`);
  return `${lines.join('\n')}\n`;
}

async function instrument(dir: string | undefined, opts: InstrumentCli): Promise<number> {
  if (dir === undefined) throw new UsageError('name the source tree: scriptbox instrument <dir> --out <dir>');
  if (opts.out === undefined && opts.inPlace !== true && opts.dryRun !== true)
    throw new UsageError('say where the instrumented tree goes: --out <dir>, or --in-place');
  if (opts.out !== undefined && opts.inPlace === true)
    throw new UsageError('give --out or --in-place, not both');
  const engine = await createEngine({ pool: INSTRUMENT_POOL });
  const interrupt = new Interrupt();
  const bar = new ProgressBar(process.stderr);
  const onProgress = (progress: InstrumentProgress): void => {
    if (progress.phase === 'sandbox')
      bar.update({ done: progress.done, total: progress.total, succeeded: progress.done, failed: 0 });
  };
  try {
    const result = await withLibrary((library) =>
      instrumentTree(engine, {
        root: dir,
        ...(opts.out !== undefined ? { out: opts.out } : {}),
        ...(opts.inPlace === true ? { inPlace: true } : {}),
        languages: opts.lang,
        exclude: opts.exclude,
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        dryRun: opts.dryRun === true,
        library,
        signal: interrupt.signal,
        onProgress,
      }),
    );
    bar.clear();
    if (opts.json) await printJson(result);
    else await writeText(process.stderr, formatSummary(result));
    return 0;
  } catch (error) {
    if (interrupt.exitCode !== null) return interrupt.exitCode;
    throw error;
  } finally {
    bar.clear();
    interrupt.dispose();
    await engine.close();
  }
}

/** The human summary: files, functions, skipped with reasons, cache, time. */
export function formatSummary(result: InstrumentResult): string {
  const { files, functions, cache, timings } = result;
  const perFunction = functions.found === 0 ? 0 : timings.total / functions.found;
  const lines = [
    `scriptbox: ${result.dryRun ? 'would instrument' : 'instrumented'} ${plural(functions.instrumented, 'function')} ` +
      `of ${functions.found} found in ${plural(files.instrumented.length, 'file')} ` +
      `(${files.scanned} scanned, ${files.skipped.length} skipped)` +
      (result.out !== null && !result.dryRun ? ` → ${result.out}` : ''),
  ];
  for (const [language, stats] of Object.entries(result.byLanguage)) {
    lines.push(
      `  ${language}: ${plural(stats.files, 'file')}, ${stats.instrumented}/${stats.functions} functions`,
    );
  }
  const reasons = Object.entries(functions.skippedByReason);
  if (reasons.length > 0) {
    lines.push(`  functions not instrumented: ${reasons.map(([reason, n]) => `${n} ${reason}`).join(', ')}`);
  }
  const fileReasons = new Map<string, number>();
  for (const skip of files.skipped) fileReasons.set(skip.reason, (fileReasons.get(skip.reason) ?? 0) + 1);
  if (fileReasons.size > 0) {
    lines.push(`  paths skipped: ${[...fileReasons].map(([reason, n]) => `${n} ${reason}`).join(', ')}`);
  }
  if (!result.dryRun) {
    lines.push(
      `  cache: ${plural(cache.hits, 'hit')}, ${plural(cache.misses, 'miss', 'misses')}` +
        (cache.refused > 0 ? `, ${cache.refused} refused by checks` : '') +
        `; ${plural(cache.analysesReused, 'file analysis', 'file analyses')} reused`,
    );
  }
  lines.push(`  time: ${Math.round(timings.total)} ms (${perFunction.toFixed(2)} ms per function)`);
  return `${lines.join('\n')}\n`;
}
