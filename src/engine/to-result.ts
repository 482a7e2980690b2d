/** Builds the RunResult every face returns, from a job's outcome. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { displayNotes, readRunDisplay, withScriptError } from '../sandbox/display.js';
import type { SandboxRunOutcome } from '../sandbox/outcome.js';
import { mediaTypeOf } from '../sandbox/media-types.js';
import { collectOutputs, type CollectOpts } from '../sandbox/outputs.js';
import { classify, networkError } from './classify.js';
import type { NetworkReport } from '../network/report.js';
import { DEFAULT_INLINE_FILES, type InlineFiles, type Limits } from './options.js';
import type { RunResult } from './result.js';

/**
 * The result of a finished job: its outcome classified, and the files it left under out/ (the small ones
 * with their content, per `inline` over DEFAULT_INLINE_FILES), with what was left out and why.
 */
export interface ResultFiles {
  /** The run's work dir (out/ and the display channel are in it). */
  workDir: string;
  /** Copy out/ files here too. */
  outDir?: string | undefined;
  inline?: InlineFiles | undefined;
  /** Only out/ files this says yes to (a stateful session's: the ones its run wrote or changed). */
  only?: CollectOpts['only'];
}

export async function toResult(
  base: RunResult,
  outcome: SandboxRunOutcome,
  limits: Limits,
  { workDir, outDir, inline, only }: ResultFiles,
): Promise<RunResult> {
  // Rich outputs and the script's own error, from the runner's display channel (sandbox/display.ts).
  const display = await readRunDisplay(workDir);
  const error = withScriptError(classify(outcome, limits), display.error, outcome);
  const collected = await collectOutputs(join(workDir, 'out'), {
    maxFiles: limits.maxOutFiles,
    maxBytes: limits.maxOutBytes,
    inline: { ...DEFAULT_INLINE_FILES, ...inline },
    capNames: { maxFiles: 'limits.maxOutFiles', maxBytes: 'limits.maxOutBytes' },
    ...(outDir !== undefined ? { destDir: outDir } : {}),
    ...(only !== undefined ? { only } : {}),
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
    outputs: [...display.outputs, ...displayNotes(display)],
    files: collected.files.map((file) => ({ ...file, mediaType: mediaTypeOf(file.path) })),
    filesSkipped: collected.skipped,
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
    outputs: [],
    files: [],
    filesSkipped: [],
    scriptHash: createHash('sha256').update(source).digest('hex'),
  };
}

/** A granted run's result: its network report, and kind `network` when the network made it fail. */
export function withNetwork(result: RunResult, report: NetworkReport | null): RunResult {
  if (report === null) return result;
  const error = networkError(result.error, report);
  // Failed for the network, the script's own exception (name, value, traceback) still says how it ended.
  return { ...result, error: error && { ...result.error, ...error }, network: report };
}
