/** Builds the RunResult every face returns, from a job's outcome. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { SandboxRunOutcome } from '../sandbox/outcome.js';
import { collectOutputs } from '../sandbox/outputs.js';
import { classify, networkError } from './classify.js';
import type { NetworkReport } from '../network/report.js';
import type { Limits } from './options.js';
import type { RunError, RunResult } from './result.js';

/** The result of a finished job: its outcome classified, and the files it left under out/. */
export async function toResult(
  base: RunResult,
  outcome: SandboxRunOutcome,
  limits: Limits,
  workDir: string,
  outDir: string | undefined,
): Promise<RunResult> {
  const error: RunError | null = classify(outcome, limits);
  const collected = await collectOutputs(join(workDir, 'out'), {
    maxFiles: limits.maxOutFiles,
    maxBytes: limits.maxOutBytes,
    ...(outDir !== undefined ? { destDir: outDir } : {}),
  });
  return {
    ...base,
    ok: error === null,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    stdout: outcome.stdout.toString('utf8'),
    stderr: outcome.stderr.toString('utf8'),
    truncated: outcome.truncated,
    error,
    usage: {
      wallMs: outcome.usage.wallMs,
      cpuMs: outcome.usage.cpuMs,
      peakMemoryBytes: outcome.usage.peakMemoryBytes,
    },
    files: collected.files,
  };
}

/** A result with nothing run yet (what a script rejected before running gets, plus its error). */
export function baseResult(language: string, source: string): RunResult {
  return {
    ok: false,
    language,
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: { stdout: false, stderr: false },
    error: null,
    usage: { wallMs: 0, cpuMs: 0, peakMemoryBytes: 0 },
    files: [],
    scriptHash: createHash('sha256').update(source).digest('hex'),
  };
}

/** A granted run's result: its network report, and kind `network` when the network made it fail. */
export function withNetwork(result: RunResult, report: NetworkReport | null): RunResult {
  if (report === null) return result;
  return { ...result, error: networkError(result.error, report), network: report };
}
