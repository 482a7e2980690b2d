/** Turns what happened in the sandbox into the result's `ok` and `error`, with messages that say what to change. */
import type { Limits } from './options.js';
import type { RunError } from './result.js';
import type { SandboxRunOutcome } from '../sandbox/outcome.js';
import type { NetworkReport } from '../network/report.js';

type Outcome = Pick<
  SandboxRunOutcome,
  'started' | 'setupError' | 'exitCode' | 'signal' | 'stderr' | 'killedFor' | 'syntax' | 'usage' | 'diskFull'
>;

export function classify(outcome: Outcome, limits: Limits): RunError | null {
  const { killedFor, usage } = outcome;
  if (outcome.setupError !== null) return { kind: 'sandbox', message: outcome.setupError };
  const failed = killedFor !== null || outcome.exitCode !== 0 || !outcome.started;
  if (!failed) return null;
  if (killedFor === 'cancelled') return { kind: 'cancelled', message: 'the run was cancelled' };
  if (usage.oomKills > 0) {
    return {
      kind: 'memory',
      message: `killed for exceeding the memory limit of ${limits.memoryMb} MiB (raise --memory / limits.memoryMb)`,
    };
  }
  if (usage.pidsLimitHits > 0) {
    return {
      kind: 'processes',
      message: `hit the limit of ${limits.maxProcesses} processes/threads (raise limits.maxProcesses)`,
    };
  }
  if (killedFor === 'output_limit') {
    return {
      kind: 'output_limit',
      message: `stopped after more than ${limits.maxOutputBytes} bytes of output; the output is truncated (raise --max-output / limits.maxOutputBytes)`,
    };
  }
  if (killedFor === 'cpu') {
    return {
      kind: 'cpu',
      message: `killed after using its CPU time limit of ${limits.cpuMs} ms (raise --cpu / limits.cpuMs)`,
    };
  }
  if (killedFor === 'timeout') {
    return {
      kind: 'timeout',
      message: `killed after its wall-clock limit of ${limits.timeoutMs} ms (raise --timeout / limits.timeoutMs)`,
    };
  }
  if (outcome.syntax) {
    const { line, column, message } = outcome.syntax;
    const foundLine = line > 0 ? line : Number(/line (\d+)/.exec(message)?.[1] ?? 0);
    return {
      kind: 'syntax',
      message,
      ...(foundLine > 0 ? { line: foundLine } : {}),
      ...(column > 0 ? { column } : {}),
    };
  }
  if (!outcome.started) {
    const detail =
      outcome.stderr.toString('utf8').trim() || `exit status ${outcome.exitCode ?? outcome.signal}`;
    return { kind: 'sandbox', message: `the sandbox could not start the script: ${detail}` };
  }
  if (outcome.diskFull) {
    return {
      kind: 'disk',
      message: `filled its ${limits.diskMb} MiB of disk (work dir or /tmp); raise limits.diskMb`,
    };
  }
  const how =
    outcome.signal !== null ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
  const lastLine = lastNonEmptyLine(outcome.stderr.toString('utf8'));
  return { kind: 'runtime', message: lastLine ? `${lastLine} (the script ${how})` : `the script ${how}` };
}

/**
 * An uncaught error's line: Python's `ZeroDivisionError: ...`, Node's `Error: boom`, `TypeError: ...`,
 * `UnhandledPromiseRejection: ...` and `Oops [Error]: ...` (a subclass that keeps the name Error).
 */
const ERROR_LINE = /^(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception|Rejection)\b|^[A-Za-z_$][\w$.]* \[\w*Error\]:/;

/**
 * What Node prints after an uncaught error, which says nothing about it: its version line last, and the
 * hint `(Use \`node --trace-uncaught ...\` ...)` after a thrown non-Error (`throw 'x'`).
 */
const NODE_TRAILER = /^Node\.js v\d+\.\d+\.\d+$|^\(Use `node --trace-uncaught /;

/**
 * The line that best says what went wrong: the last error line (Python's and Node's uncaught errors; Node
 * follows it with a stack and its version), else the last non-empty line that is not Node's trailer (for
 * `throw 'x'` that is the value thrown).
 */
function lastNonEmptyLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const errorLine = lines.findLast((line) => ERROR_LINE.test(line));
  const lastLine = lines.findLast((line) => !NODE_TRAILER.test(line.trim()));
  return (errorLine ?? lastLine ?? '').trim().slice(0, 500);
}

/**
 * A failed run's error once the network is known: a script that failed on its own (kind runtime) while the
 * proxy refused something or a network limit was hit failed for the network. Limits of the sandbox itself
 * (timeout, memory...) keep their kinds.
 */
export function networkError(error: RunError | null, report: NetworkReport | null): RunError | null {
  if (error === null || report === null || error.kind !== 'runtime') return error;
  const refused = report.refused[0];
  if (report.limit !== null) {
    return { kind: 'network', message: `${report.limit.message}; the script then failed: ${error.message}` };
  }
  if (refused === undefined) return error;
  const others = report.refused.length - 1 + report.refusedDropped;
  const more = others > 0 ? ` (and ${others} more refused)` : '';
  return {
    kind: 'network',
    message:
      `the egress proxy refused ${refused.destination}: ${refused.reason}${more}; the script then failed: ` +
      `${error.message} (grant the destination with network.allow, if the operator's policy covers it)`,
  };
}
