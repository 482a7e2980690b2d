/**
 * --unsafe-no-sandbox: runs the runtime directly on the host, in a private temporary directory with a
 * cleared environment, enforcing only wall time and output size. For trusted code on throwaway machines.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ResolvedInput } from './job.js';
import { runnerHostPath, runtimeCommand, scriptEnv } from './runtimes/command.js';
import type { RuntimeSpec } from './runtimes/spec.js';
import { Sandbox } from './sandbox.js';

export async function startUnsandboxed(
  runtime: RuntimeSpec,
  inputs: ResolvedInput[],
  startTimeoutMs: number,
): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), `scriptbox-unsafe-${process.pid}-`));
  try {
    for (const input of inputs) {
      writeFileSync(
        join(dir, input.name),
        typeof input.data === 'number' ? readFileSync(input.data) : input.data,
      );
    }
    mkdirSync(join(dir, 'out'));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const [file = '', ...args] = runtimeCommand(runtime, dirname(runnerHostPath(runtime.runner)));
  return Sandbox.start({
    file,
    args,
    data: [],
    cgroup: null,
    hostUid: null,
    hostGid: null,
    hostWorkDir: dir,
    env: scriptEnv(runtime, dir),
    startTimeoutMs,
  });
}
