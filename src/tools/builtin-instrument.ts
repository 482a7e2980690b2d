/**
 * The built-in instrumentation tool: instrument_archive (workflows/instrument/archive). A source tree goes
 * in as a base64 tar, tar.gz or zip; the instrumented tree (telemetry runtime files and manifest included)
 * comes back as base64 with the report. Metered: the insertion batches run in the sandbox.
 */
import { plural } from '../text.js';
import {
  archiveAnswer,
  instrumentArchive,
  InstrumentArchiveAnswerSchema,
  InstrumentArchiveInputSchema,
  type InstrumentArchiveAnswer,
} from '../workflows/instrument/index.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { RUN_TOOL_TIMEOUT_MS } from './builtin-run.js';
import { defineTool, type Tool } from './types.js';

const DESCRIPTION =
  'Adds function telemetry to a whole source tree (Python, JavaScript, TypeScript, Go, C, C++): give the ' +
  'tree as a base64 tar, tar.gz or zip (at most 64 MiB unpacked, 8 MiB per file, 10000 files; no links, ' +
  'absolute paths or ".."). Every function gets enter/exit/error events written as JSON lines to the file ' +
  'named by SCRIPTBOX_TELEMETRY_FILE at run time, through a tiny runtime added to the tree. Returns the ' +
  'report (files and functions instrumented, skipped with why, cache hits) and the instrumented tree as ' +
  'base64 in archive.base64 (tar.gz, or zip for a zip upload unless `format` says otherwise).';

/** The report in words; the archive itself is in the structured result. */
function resultText(answer: InstrumentArchiveAnswer): string {
  const { report, archive } = answer;
  const lines = [
    `${plural(report.functions.instrumented, 'function')} instrumented of ${report.functions.found} found, ` +
      `in ${plural(report.files.instrumented.length, 'file')} of ${report.files.scanned} scanned ` +
      `(${report.cache.hits} cached insertion scripts, ${report.cache.misses} new) in ${Math.round(report.timings['total'] ?? 0)} ms`,
  ];
  for (const [reason, count] of Object.entries(report.functions.skippedByReason))
    lines.push(`skipped: ${plural(count, 'function')}: ${reason}`);
  for (const skipped of report.files.skipped.slice(0, 20))
    lines.push(`skipped file ${skipped.path}: ${skipped.reason}`);
  if (report.files.skipped.length > 20)
    lines.push(`... and ${report.files.skipped.length - 20} more skipped files`);
  if (report.runtimeFiles.length > 0) lines.push(`runtime files added: ${report.runtimeFiles.join(', ')}`);
  lines.push(
    `the instrumented tree: ${archive.format}, ${archive.bytes} bytes, base64 in the structured result's archive.base64`,
  );
  return lines.join('\n');
}

export function instrumentTools({ engine, library }: BuiltinToolDeps): Tool[] {
  return [
    defineTool({
      name: 'instrument_archive',
      title: 'Add function telemetry to a source tree',
      description: DESCRIPTION,
      input: InstrumentArchiveInputSchema,
      output: InstrumentArchiveAnswerSchema,
      annotations: { readOnly: true, idempotent: true },
      timeoutMs: RUN_TOOL_TIMEOUT_MS,
      metered: { cpuMs: (answer) => answer.report.cpuMs },
      text: resultText,
      handler: async (input, { signal }) =>
        archiveAnswer(
          await instrumentArchive(engine, {
            archive: Buffer.from(input.archive, 'base64'),
            ...(input.languages ? { languages: input.languages } : {}),
            exclude: input.exclude,
            workers: input.workers,
            ...(input.format ? { format: input.format } : {}),
            library,
            signal,
          }),
        ),
    }),
  ];
}
