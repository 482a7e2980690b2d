/** The result of one run: the same object the library returns and `scriptbox run --json` prints. */
import type { ErrorKind, OutputFileInfo, RunError } from '../sandbox/result-types.js';

// A run's error kinds and out/ files are what the sandbox reports (sandbox/result-types.ts).
export { ERROR_KINDS, type ErrorKind, type OutputFileInfo, type RunError } from '../sandbox/result-types.js';

export interface RunUsage {
  wallMs: number;
  cpuMs: number;
  peakMemoryBytes: number;
}

/** A static-check finding reported with a run (same shape as the checker's Finding). */
export interface RunFinding {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  line: number;
  column: number;
}

export interface RunResult {
  ok: boolean;
  language: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: { stdout: boolean; stderr: boolean };
  error: RunError | null;
  usage: RunUsage;
  files: OutputFileInfo[];
  /** sha256 (hex) of the script source as given. */
  scriptHash: string;
  /** Static-check findings, when the run was checked (`checks` warn or strict) and there were any. */
  findings?: RunFinding[];
}

const LIMIT_KINDS: ReadonlySet<ErrorKind> = new Set([
  'timeout',
  'cpu',
  'memory',
  'processes',
  'output_limit',
  'disk',
]);

/** CLI exit code for a run result: 0 ok, 1 script failed, 3 limit hit, 4 rejected before running, 70 sandbox. */
export function exitCodeForResult(result: RunResult): number {
  if (result.ok) return 0;
  const kind = result.error?.kind;
  if (kind === undefined || kind === 'runtime' || kind === 'cancelled') return 1;
  if (LIMIT_KINDS.has(kind)) return 3;
  if (kind === 'syntax' || kind === 'rejected') return 4;
  return 70;
}
