/**
 * --unsafe-no-sandbox: runs the runtime directly on the host, in a private temporary directory with a
 * cleared environment, enforcing only wall time and output size. For trusted code on throwaway machines.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ResolvedInput } from '../engine/inputs.js';
import type { Limits } from '../engine/options.js';
import { runSandbox, type SandboxRunOutcome } from './process.js';
import { runnerHostPath, runtimeCommand, scriptEnv } from './runtimes/command.js';
import type { RuntimeSpec } from './runtimes/spec.js';

export interface UnsandboxedRunSpec {
  runtime: RuntimeSpec;
  code: string;
  scriptFile: string;
  inputs: ResolvedInput[];
  stdin: string | Uint8Array | undefined;
  limits: Limits;
  signal: AbortSignal | undefined;
}

export async function runUnsandboxed(spec: UnsandboxedRunSpec): Promise<SandboxRunOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'scriptbox-unsafe-'));
  try {
    writeFileSync(join(dir, spec.scriptFile), spec.code);
    for (const input of spec.inputs) {
      writeFileSync(
        join(dir, input.name),
        typeof input.data === 'number' ? readFileSync(input.data) : input.data,
      );
    }
    mkdirSync(join(dir, 'out'));
    const [file, ...args] = runtimeCommand(
      spec.runtime,
      spec.scriptFile,
      dirname(runnerHostPath(spec.runtime.runner)),
    );
    const outcome = await runSandbox({
      file: file ?? '',
      args,
      cwd: dir,
      env: scriptEnv(spec.runtime, dir),
      data: [],
      stdin: spec.stdin,
      limits: spec.limits,
      cgroup: null,
      hostUid: null,
      hostGid: null,
      signal: spec.signal,
    });
    return {
      ...outcome,
      workDir: dir,
      release: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
