/**
 * `scriptbox check <file | ->`: static checks without running anything. Prints one line per finding
 * (`file:line:col  severity  rule  message`) and a summary, or with --json exactly one CheckReport object.
 * Exit 0 when not blocked, 4 when blocked (strict policy and at least one error), 2 for usage errors.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { checkSource } from '../../check/check.js';
import { checkLanguage, formatFinding } from '../../check/format.js';
import {
  CHECK_LANGUAGES,
  CHECK_POLICIES,
  CheckOptionsSchema,
  type CheckLanguage,
  type CheckReport,
} from '../../check/types.js';
import { UsageError } from '../../errors.js';
import { plural } from '../../text.js';
import { builtinRuntimes } from '../../sandbox/runtimes/builtin.js';
import { RuntimeRegistry } from '../../sandbox/runtimes/registry.js';
import { readAll, readUserFile, writeText } from './io.js';
import { chooseRuntime } from './run-options.js';

const BLOCKED = 4;

export const CHECK_EXIT_CODES_HELP = `
Exit codes:
  0   not blocked (no findings, only warnings, or --policy warn/off)
  2   usage error (bad option, unknown language, missing file)
  4   blocked: --policy strict and at least one error (a run would be rejected before it starts)`;

const CheckCliOptsSchema = z.object({
  lang: z.string().optional(),
  policy: CheckOptionsSchema.shape.policy,
  network: z.boolean().default(false),
  json: z.boolean().default(false),
});
type CheckCliOpts = z.infer<typeof CheckCliOptsSchema>;

export function checkCommand(setExitCode: (code: number) => void): Command {
  return new Command('check')
    .description(
      'check a script without running it: process spawning, eval, network, host paths, FFI, introspection ' +
        '(early, explainable rejections; the sandbox stays the wall)',
    )
    .argument('<file>', 'the script file, or - to read it from stdin (then --lang is needed)')
    .option('--lang <language>', `${CHECK_LANGUAGES.join('|')} (default: from the file extension)`)
    .addOption(
      new Option('--policy <policy>', 'strict: errors block; warn: report only; off: check nothing')
        .choices(CHECK_POLICIES)
        .default('strict'),
    )
    .option('--network', 'the run will have network access: the network rules do not apply')
    .option(
      '--json',
      'print the report as one JSON object: {policy, blocked, findings: [{rule, severity, message, line, column}]}',
    )
    .addHelpText('after', CHECK_EXIT_CODES_HELP)
    .action(async (file: string, raw: unknown) => {
      setExitCode(await runCheck(file, CheckCliOptsSchema.parse(raw)));
    });
}

async function runCheck(file: string, opts: CheckCliOpts): Promise<number> {
  if (file === '-' && opts.lang === undefined) {
    throw new UsageError('reading the script from stdin (-) needs --lang, e.g. --lang python');
  }
  const language = languageOf(file, opts.lang);
  const source =
    file === '-'
      ? (await readAll(process.stdin)).toString('utf8')
      : readUserFile(file, 'script file').toString('utf8');
  const report = await checkSource({ language, source, policy: opts.policy, network: opts.network });
  const text = opts.json
    ? `${JSON.stringify(report)}\n`
    : renderReport(file === '-' ? '<stdin>' : file, report);
  await writeText(process.stdout, text);
  return report.blocked ? BLOCKED : 0;
}

function languageOf(file: string, lang: string | undefined): CheckLanguage {
  return checkLanguage(chooseRuntime(new RuntimeRegistry(builtinRuntimes()), file, lang).name);
}

/** The human report: one line per finding, then a summary line. */
export function renderReport(file: string, report: CheckReport): string {
  if (report.policy === 'off') return `${file}: not checked (--policy off)\n`;
  const lines = report.findings.map((finding) => formatFinding(finding, file));
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const verdict = report.blocked
    ? 'blocked: a run would be rejected before it starts'
    : errors > 0
      ? `not blocked (--policy ${report.policy})`
      : 'not blocked';
  lines.push(`${file}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}; ${verdict}`);
  return `${lines.join('\n')}\n`;
}
