/** Plain-text renderings of library records, for faces that print to people (CLI, chat). */
import type { RunRecord, ScriptRecord } from './types.js';

/** `name  vN  text` lines, names padded to one width. */
export function scriptTable(rows: { name: string; currentVersion: number; text: string }[]): string {
  const width = Math.max(0, ...rows.map((row) => row.name.length));
  return rows
    .map((row) => `${row.name.padEnd(width)}  v${row.currentVersion}  ${row.text.replaceAll('\n', ' ')}\n`)
    .join('');
}

/** `math_addition_001.py · python · version 1 of 2 · by ann at … · tags a, b`, then the description. */
export function describeScript(script: ScriptRecord): string {
  const tags = script.tags.length > 0 ? ` · tags ${script.tags.join(', ')}` : '';
  const description = script.description === '' ? '' : `\n  ${script.description}`;
  return (
    `${script.name} · ${script.language} · version ${script.version} of ${script.currentVersion} · ` +
    `by ${script.versionWho} at ${script.versionCreatedAt}${tags}${description}`
  );
}

/** One line per run: `at  vN  kind  wall ms  cpu ms  who`. */
export function runLines(runs: RunRecord[]): string {
  return runs
    .map(
      (run) => `${run.at}  v${run.version}  ${run.kind}  ${run.wallMs} ms  cpu ${run.cpuMs} ms  ${run.who}\n`,
    )
    .join('');
}
