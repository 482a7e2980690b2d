/** Helpers for the Rust instrumentation tests: the toolchain check and offline cargo runs. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasCargo =
  spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('rustc', ['--version'], { stdio: 'ignore' }).status === 0;
export const NO_CARGO = 'rustc/cargo missing: run scripts/setup.sh';

let targets: string | undefined;
/** Offline cargo with its build output in a temp dir (one CARGO_TARGET_DIR per tree, so trees never share builds). */
export async function cargoEnv(tree: string): Promise<NodeJS.ProcessEnv> {
  targets ??= await mkdtemp(join(tmpdir(), 'sbx-cargo-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['SCRIPTBOX_TELEMETRY_FILE'];
  delete env['RUSTFLAGS'];
  return {
    ...env,
    CARGO_NET_OFFLINE: 'true',
    CARGO_TARGET_DIR: join(targets, tree.replace(/[^\w]+/g, '_')),
    CARGO_TERM_COLOR: 'never',
    CARGO_INCREMENTAL: '0',
    RUST_BACKTRACE: '0',
  };
}

/** Removes the run's target dirs (call in afterAll). */
export async function cleanupCargo(): Promise<void> {
  if (targets !== undefined) await rm(targets, { recursive: true, force: true });
  targets = undefined;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export async function cargo(cwd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  const env = { ...(await cargoEnv(cwd)), ...extra };
  const run = spawnSync('cargo', args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
