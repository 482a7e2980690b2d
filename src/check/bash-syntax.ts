/**
 * The bash runtime's own syntax verdict (`bash -n`, the check its runner applies before a script runs), for
 * when tree-sitter's bash grammar reports an error: the grammar lacks constructs bash accepts (`exec
 * 3<>file`, `{fd}<>file`), and valid bash must never be called a syntax error, so `check` and `run` agree.
 *
 * `-n` reads commands without executing any of them; bash gets no environment, no profile or rc file, the
 * script on stdin (no file is written) and a few seconds.
 */
import { spawn } from 'node:child_process';
import { builtinRuntimes } from '../sandbox/runtimes/builtin.js';

const TIMEOUT_MS = 10_000;

/** The bash runtime's syntax check argv (its script file left off: the script comes on stdin). */
function syntaxCheckArgv(): string[] | undefined {
  return builtinRuntimes().find((spec) => spec.name === 'bash')?.syntaxCheck;
}

/**
 * Whether bash accepts `source`: true or false by `bash -n`'s exit status; null when bash could not say
 * (not installed, killed, timed out), so the caller keeps its own verdict.
 */
export function bashAccepts(source: string): Promise<boolean | null> {
  const argv = syntaxCheckArgv();
  const [file, ...args] = argv ?? [];
  if (file === undefined) return Promise.resolve(null);
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: {}, stdio: ['pipe', 'ignore', 'ignore'], timeout: TIMEOUT_MS });
    child.once('error', () => resolve(null));
    child.once('close', (code) => resolve(code === null ? null : code === 0));
    // bash may stop reading at the first error: EPIPE then is its verdict, not ours to report.
    child.stdin.on('error', () => undefined);
    child.stdin.end(source);
  });
}
