/** Starts bwrap sandboxes for a runtime: the bwrap command, the files it carries, the cgroup it runs in. */
import { buildBwrapArgs, FD, RUNNER_DIR, syntheticEtc, WORK_DIR, type DataFile } from '../sandbox/bwrap.js';
import type { CgroupManager } from '../sandbox/cgroups.js';
import { loadRunners, runnerFileName, runtimeCommand, scriptEnv } from '../sandbox/runtimes/command.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import { Sandbox } from '../sandbox/sandbox.js';
import type { ResolvedInput } from './inputs.js';
import type { Limits, SandboxOpts } from './options.js';

/** How long a sandbox may take to come up before it is killed and reported. */
export const START_TIMEOUT_MS = 30_000;

export class SandboxLauncher {
  private readonly runners = loadRunners();

  constructor(
    private readonly bwrapPath: string,
    private readonly opts: SandboxOpts,
    private readonly cgroups: CgroupManager,
  ) {}

  /** A started sandbox for `runtime`, with `inputs` mounted read-only in its work dir. */
  async start(runtime: RuntimeSpec, limits: Limits, inputs: ResolvedInput[] = []): Promise<Sandbox> {
    const data: Array<string | Uint8Array | number> = [];
    const dataFiles: DataFile[] = [];
    const addData = (dest: string, content: string | Uint8Array | number): void => {
      dataFiles.push({ dest, fd: FD.firstData + data.length });
      data.push(content);
    };
    addData(`${RUNNER_DIR}/${runnerFileName(runtime)}`, this.runners[runtime.runner]);
    for (const input of inputs) addData(`${WORK_DIR}/${input.name}`, input.data);
    for (const [path, content] of Object.entries(syntheticEtc())) addData(path, content);
    const args = buildBwrapArgs({
      diskBytes: limits.diskMb * 1_048_576,
      extraMounts: runtime.mounts,
      dataFiles,
      env: scriptEnv(runtime),
      command: runtimeCommand(runtime),
    });
    const cgroup = await this.cgroups.newSandbox({
      memoryBytes: limits.memoryMb * 1_048_576,
      maxProcesses: limits.maxProcesses,
    });
    return Sandbox.start({
      file: this.bwrapPath,
      args,
      data,
      cgroup,
      hostUid: this.opts.hostUid,
      hostGid: this.opts.hostGid,
      startTimeoutMs: START_TIMEOUT_MS,
    });
  }
}
