/**
 * `scriptbox batch <script> --items <file.jsonl>`: runs one script over every item of a JSON-lines file in
 * parallel sandboxes. Without --json each item's stdout is printed in input order, every line prefixed with
 * `[index] `, and a summary grouped by outcome follows on stderr; with --json stdout carries exactly one
 * JSON object `{ results, summary }`. A progress bar is drawn on stderr when it is a terminal.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import {
  BatchOptsSchema,
  DEFAULT_BATCH_CONCURRENCY,
  resultKind,
  runBatch,
  type BatchResult,
  type BatchSummary,
} from '../../engine/batch.js';
import { createEngine } from '../../engine/engine.js';
import { UsageError } from '../../errors.js';
import { plural } from '../../text.js';
import { readAll, readUserFile, writeText } from './io.js';
import { ProgressBar } from './progress.js';
import { Interrupt } from './interrupt.js';
import { chooseRuntime, languageChoices, limitOptions, limitsFrom, RunCliOptsSchema } from './run-options.js';
import { UNSAFE_WARNING } from './run.js';
import { describeError } from './summary.js';
import { rawOption, writeUntrusted } from './terminal-safe.js';

const BATCH_EXIT_CODES_HELP = `
Each run gets its item as JSON on stdin and in the read-only file item.json of its work directory.

Exit codes:
  0   every item succeeded
  1   at least one item failed (error, limit hit, cancelled)
  2   usage error (bad option, unknown language, missing file, malformed items line)
  70  the sandbox is unavailable (every item failed to start) or scriptbox itself failed (run: scriptbox doctor)
  130 interrupted (Ctrl-C): running items are cancelled, the results so far are still printed`;

/** Failed items listed by name in the human summary; the rest are counted. */
const MAX_LISTED_FAILURES = 20;

const BatchCliOptsSchema = RunCliOptsSchema.pick({
  lang: true,
  timeout: true,
  cpu: true,
  memory: true,
  maxOutput: true,
  json: true,
  raw: true,
  unsafeNoSandbox: true,
}).extend({ items: z.string(), concurrency: z.number().optional() });
type BatchCliOpts = z.infer<typeof BatchCliOptsSchema>;

/** Parses --concurrency against the batch schema, so its range is defined once. */
function parseConcurrency(value: string): number {
  const text = value.trim().replaceAll('_', '');
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number of runs.');
  const checked = BatchOptsSchema.shape.concurrency.safeParse(Number(text));
  if (!checked.success) {
    throw new InvalidArgumentError(checked.error.issues.map((issue) => issue.message).join('; ') + '.');
  }
  return checked.data;
}

export function batchCommand(setExitCode: (code: number) => void): Command {
  const languages = languageChoices();
  const command = new Command('batch')
    .description('run one script over many items (one JSON value per line), in parallel sandboxes')
    .argument('<script>', 'the script file, run once per item')
    .requiredOption('--items <file>', 'JSON lines: one item per line, blank lines ignored (- for stdin)')
    .option('--concurrency <n>', `runs at once (default: ${DEFAULT_BATCH_CONCURRENCY})`, parseConcurrency)
    .option('--lang <language>', `${languages} (default: from the file extension)`);
  for (const option of limitOptions()) command.addOption(option);
  return command
    .option('--json', 'print { results, summary } as one JSON object on stdout instead of the outputs')
    .addOption(rawOption())
    .addOption(new Option('--unsafe-no-sandbox', 'run WITHOUT isolation (dangerous; trusted code only)'))
    .addHelpText('after', BATCH_EXIT_CODES_HELP)
    .action(async (file: string, raw: unknown) => {
      setExitCode(await batchScript(file, BatchCliOptsSchema.parse(raw)));
    });
}

/** One JSON value per non-blank line; a malformed line is a usage error naming the file and line. */
export function parseItems(text: string, fileName: string): unknown[] {
  const items: unknown[] = [];
  text.split('\n').forEach((line, at) => {
    if (line.trim() === '') return;
    try {
      items.push(JSON.parse(line));
    } catch (err) {
      const what = err instanceof Error ? err.message : String(err);
      throw new UsageError(`${fileName} line ${at + 1}: ${what}`);
    }
  });
  return items;
}

async function batchScript(file: string, opts: BatchCliOpts): Promise<number> {
  if (file === '-') throw new UsageError('the batch script must be a file (items may come from stdin)');
  const source = readUserFile(file, 'script file').toString('utf8');
  const itemsText =
    opts.items === '-' ? await readAll(process.stdin) : readUserFile(opts.items, '--items file');
  const items = parseItems(itemsText.toString('utf8'), opts.items === '-' ? 'stdin' : opts.items);
  if (opts.unsafeNoSandbox) await writeText(process.stderr, UNSAFE_WARNING);

  // Every run carries item.json, so a warm pool (input-less sandboxes only) would go unused.
  const engine = await createEngine({ unsafeNoSandbox: opts.unsafeNoSandbox, pool: { size: 0 } });
  const interrupt = new Interrupt();
  const bar = new ProgressBar(process.stderr);
  let batch: BatchResult;
  try {
    const runtime = chooseRuntime(engine.runtimes, file, opts.lang);
    bar.update({ done: 0, total: items.length, succeeded: 0, failed: 0 });
    batch = await runBatch(engine, {
      script: { language: runtime.name, source },
      items,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      limits: limitsFrom(opts),
      signal: interrupt.signal,
      onProgress: (progress) => bar.update(progress),
    });
  } finally {
    bar.clear();
    interrupt.dispose();
    await engine.close();
  }
  if (opts.json) {
    await writeText(process.stdout, `${JSON.stringify(batch)}\n`);
  } else {
    // The outputs, and error messages that may quote them, are escaped on a terminal (terminal-safe.ts).
    await writeUntrusted(
      process.stdout,
      batch.results.map(({ index, result }) => prefixed(index, result.stdout)).join(''),
      opts.raw,
    );
    await writeUntrusted(process.stderr, formatBatchSummary(batch), opts.raw);
  }
  return interrupt.exitCode ?? batchExitCode(batch.summary);
}

/** 0 when every item succeeded; 70 when no item could start a sandbox; else 1. */
export function batchExitCode(summary: BatchSummary): number {
  if (summary.failed === 0) return 0;
  return summary.byKind.sandbox === summary.total ? 70 : 1;
}

/** Each line of `text` prefixed with `[index] `; nothing for empty output. */
function prefixed(index: number, text: string): string {
  if (text === '') return '';
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  return lines.map((line) => `[${index}] ${line}\n`).join('');
}

/**
 * `scriptbox: 100 items · 90 ok · 10 failed · 3210 ms · cpu 1840 ms`, a count per outcome (ok first, then
 * by count), then the failed items in input order with their error, at most MAX_LISTED_FAILURES of them.
 */
export function formatBatchSummary(batch: BatchResult): string {
  const { summary } = batch;
  const lines = [
    `scriptbox: ${plural(summary.total, 'item')} · ${summary.succeeded} ok · ` +
      `${summary.failed} failed · ${summary.wallMs} ms · cpu ${summary.cpuMs} ms`,
  ];
  const kinds = Object.entries(summary.byKind).sort(
    ([a, m = 0], [b, n = 0]) => Number(b === 'ok') - Number(a === 'ok') || n - m || a.localeCompare(b),
  );
  const width = Math.max(0, ...kinds.map(([kind]) => kind.length));
  for (const [kind, count] of kinds) lines.push(`  ${kind.padEnd(width)}  ${count}`);
  const failures = batch.results.filter(({ result }) => !result.ok);
  if (failures.length > 0) lines.push('failed items:');
  for (const { index, result } of failures.slice(0, MAX_LISTED_FAILURES)) {
    lines.push(`  [${index}] ${resultKind(result)}: ${describeError(result)}`);
  }
  if (failures.length > MAX_LISTED_FAILURES)
    lines.push(`  and ${failures.length - MAX_LISTED_FAILURES} more`);
  return `${lines.join('\n')}\n`;
}
