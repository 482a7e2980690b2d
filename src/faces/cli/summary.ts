/** The one-line, human summary of a run printed on stderr after the script's own output. */
import type { RunResult } from '../../engine/result.js';
import { plural } from '../../text.js';

/** 1234567 -> "1.2 MiB"; small values in KiB so they do not read as zero. */
export function formatBytes(bytes: number): string {
  if (bytes === 0) return 'n/a';
  if (bytes < 1_048_576) return `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} KiB`;
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

/** What went wrong, on one line, with the source line for syntax errors when the message lacks it. */
export function describeError(result: RunResult): string {
  const error = result.error;
  if (error === null) return '';
  const firstLine = error.message.split('\n')[0] ?? '';
  const where = error.line !== undefined && !/\bline \d/.test(firstLine) ? ` (line ${error.line})` : '';
  return `${firstLine}${where}`;
}

/**
 * `ok · python · 23 ms · cpu 12 ms · mem 9.8 MiB`, or for a failure
 * `timeout · killed after its wall-clock limit of 1000 ms (...) · python · 1004 ms · cpu 998 ms · mem 3.1 MiB`.
 */
export function formatSummary(result: RunResult): string {
  const parts: string[] = [];
  if (result.error === null) parts.push(result.ok ? 'ok' : 'failed');
  else parts.push(result.error.kind, describeError(result));
  parts.push(
    result.language,
    `${result.usage.wallMs} ms`,
    `cpu ${result.usage.cpuMs} ms`,
    `mem ${formatBytes(result.usage.peakMemoryBytes)}`,
  );
  if (result.files.length > 0) {
    parts.push(`${plural(result.files.length, 'file')} from out/`);
  }
  const truncated = [result.truncated.stdout && 'stdout', result.truncated.stderr && 'stderr'].filter(
    Boolean,
  );
  if (truncated.length > 0) parts.push(`${truncated.join(' and ')} truncated`);
  if (result.network) parts.push(formatNetwork(result.network));
  return parts.join(' · ');
}

/** Listed one by one up to this many; more are summed up in one line. */
const SKIPPED_LISTED = 5;

/**
 * One warning line per out/ file the run did not return (`out/big.bin not returned: ...`), or the first
 * few and a count when there are many: a file never disappears without a word.
 */
export function formatSkippedFiles(result: RunResult): string[] {
  const skipped = result.filesSkipped;
  const shown = skipped.length > SKIPPED_LISTED ? skipped.slice(0, SKIPPED_LISTED - 1) : skipped;
  const where = (path: string): string => (path === '.' ? 'out/' : `out/${path}`);
  const lines = shown.map((file) => `warning: ${where(file.path)} not returned: ${file.reason}`);
  const rest = skipped.length - shown.length;
  if (rest > 0)
    lines.push(`warning: ${rest} more out/ entries not returned (--json lists them in filesSkipped)`);
  return lines;
}

const netBytes = (bytes: number): string => (bytes === 0 ? '0 B' : formatBytes(bytes));

/** `net 3 requests, 1.2 MiB in, 0.4 KiB out, refused evil.example:443 (not on the allowlist)`. */
function formatNetwork(network: NonNullable<RunResult['network']>): string {
  const parts = [
    plural(network.requests, 'request'),
    `${netBytes(network.bytesIn)} in`,
    `${netBytes(network.bytesOut)} out`,
  ];
  const [first] = network.refused;
  const refusals = network.refused.length + network.refusedDropped;
  if (first !== undefined) {
    const more = refusals > 1 ? ` and ${refusals - 1} more` : '';
    parts.push(`refused ${first.destination} (${first.reason})${more}`);
  }
  if (network.limit) parts.push(`limit ${network.limit.which} hit`);
  return `net ${parts.join(', ')}`;
}
