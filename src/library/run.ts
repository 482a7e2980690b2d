/** Running a library script by name with an engine, and recording the run in its history. */
import type { Engine } from '../engine/engine.js';
import type { RunOpts } from '../engine/options.js';
import type { RunResult } from '../engine/result.js';
import { LibraryNotFoundError } from './errors.js';
import type { Library, RunRecord, ScriptRecord } from './types.js';

export interface RunLibraryScriptOpts extends Omit<RunOpts, 'language' | 'source'> {
  /** The version to run (default: the current one). */
  version?: number;
  /** Who runs it, for the history (default: the library's who). */
  who?: string;
}

export interface LibraryRun {
  script: ScriptRecord;
  result: RunResult;
  /** The history entry; null when the script was deleted while it ran. */
  run: RunRecord | null;
}

/**
 * Runs `name` (at `version`) in the engine and records the outcome. A failing script is a result and is
 * recorded too; an unknown name throws LibraryNotFoundError before anything runs.
 */
export async function runLibraryScript(
  lib: Library,
  engine: Engine,
  name: string,
  opts: RunLibraryScriptOpts = {},
): Promise<LibraryRun> {
  const { version, who, ...runOpts } = opts;
  const script = lib.get(name, { version });
  const result = await engine.run({ ...runOpts, language: script.language, source: script.source });
  let run: RunRecord | null = null;
  try {
    run = lib.recordRun(script.name, script.version, result, who ?? lib.who);
  } catch (err) {
    if (!(err instanceof LibraryNotFoundError)) throw err;
  }
  return { script, result, run };
}
