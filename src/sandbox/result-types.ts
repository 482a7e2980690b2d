/**
 * What a sandboxed run can end with, as the sandbox reports it: the kinds of failure, a failure with its
 * place in the source, and the files a script left in out/. The engine's RunResult (engine/result.ts) is
 * built from these.
 */

export const ERROR_KINDS = [
  'timeout',
  'cpu',
  'memory',
  'processes',
  'output_limit',
  'disk',
  'syntax',
  'rejected',
  'runtime',
  'sandbox',
  'cancelled',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface RunError {
  kind: ErrorKind;
  message: string;
  /** 1-based source line, for `syntax` errors when the parser reports one. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

export interface OutputFileInfo {
  /** Path relative to `out/`, always with `/` separators and never `..`. */
  path: string;
  bytes: number;
}
