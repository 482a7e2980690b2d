/** Spawns the real CLI from source (tsx loader) for the CLI contract tests. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOpts {
  cwd: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Given on stdin; without it stdin is closed at once. */
  stdin?: string;
  /** Sees the CLI's pid once it runs (to signal it). */
  onSpawn?: (pid: number) => void;
}

/** Runs `scriptbox <args>` to completion. */
export function runCli(args: string[], opts: CliRunOpts): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(opts.stdin ?? '');
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Checks that `run` succeeded (exit 0, no internal error) and returns it. */
export function succeeded(run: CliRun): CliRun {
  expect(run.stderr).not.toMatch(/internal error/);
  expect(run.code).toBe(0);
  return run;
}

/** The run's stdout, parsed as the one JSON value `--json` prints. */
export const stdoutJson = (run: CliRun): unknown => JSON.parse(run.stdout);
