/** Readable renderings of tool outputs, for clients that show text next to the structured result. */
import type { RunResult } from '../engine/result.js';

const MAX_SHOWN_CHARS = 20_000;
/** out/ files not returned that are named one by one; more are counted. */
const MAX_SKIPPED_SHOWN = 10;

function clip(text: string): string {
  if (text.length <= MAX_SHOWN_CHARS) return text;
  return `${text.slice(0, MAX_SHOWN_CHARS)}\n[... ${text.length - MAX_SHOWN_CHARS} more characters in the structured result]`;
}

/** `ok: exit 0 in 21 ms (cpu 9 ms)`, then stdout and stderr when there is any, then findings. */
export function runText(result: RunResult): string {
  const { usage } = result;
  const head = result.ok
    ? `ok: exit 0 in ${usage.wallMs} ms (cpu ${usage.cpuMs} ms)`
    : `failed (${result.error?.kind ?? `exit ${String(result.exitCode)}`}): ${
        result.error?.message ?? `the script exited with code ${String(result.exitCode)}`
      }`;
  const parts = [head];
  if (result.stdout !== '')
    parts.push(`--- stdout${result.truncated.stdout ? ' (truncated)' : ''} ---\n${clip(result.stdout)}`);
  if (result.stderr !== '')
    parts.push(`--- stderr${result.truncated.stderr ? ' (truncated)' : ''} ---\n${clip(result.stderr)}`);
  if (result.files.length > 0) parts.push(`files: ${result.files.map((file) => file.path).join(', ')}`);
  const skipped = result.filesSkipped;
  for (const file of skipped.slice(0, MAX_SKIPPED_SHOWN))
    parts.push(`not returned: out/${file.path} (${file.reason})`);
  if (skipped.length > MAX_SKIPPED_SHOWN)
    parts.push(
      `not returned: ${skipped.length - MAX_SKIPPED_SHOWN} more (filesSkipped in the structured result)`,
    );
  for (const finding of result.findings ?? []) {
    parts.push(
      `check ${finding.line}:${finding.column} ${finding.severity} ${finding.rule}: ${finding.message}`,
    );
  }
  return parts.join('\n');
}
