/** Starts bwrap sandboxes for a runtime: the bwrap command, the files it carries, the cgroup it runs in. */
import { randomUUID } from 'node:crypto';
import { buildBwrapArgs, FD, RUNNER_DIR, syntheticEtc, WORK_DIR, type DataFile } from '../sandbox/bwrap.js';
import type { CgroupManager } from '../sandbox/cgroups.js';
import {
  loadRunners,
  runnerFileName,
  runtimeCommand,
  scriptEnv,
  sessionCommand,
  sessionRunnerFileName,
  type SessionRunner,
} from '../sandbox/runtimes/command.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import { Sandbox } from '../sandbox/sandbox.js';
import type { EngineEventEmitter } from './events.js';
import type { ResolvedInput } from './inputs.js';
import type { Limits, SandboxOpts } from './options.js';

/** How long a sandbox may take to come up before it is killed and reported. */
export const START_TIMEOUT_MS = 30_000;

/** Memory a session may use while its runner preloads libraries (pandas, matplotlib...). */
const SESSION_START_MEMORY_MB = 1024;

export class SandboxLauncher {
  private readonly runners = loadRunners();

  constructor(
    private readonly bwrapPath: string,
    private readonly opts: SandboxOpts,
    private readonly cgroups: CgroupManager,
    private readonly events: EngineEventEmitter,
  ) {}

  /**
   * A started sandbox for one job of `runtime`, with `inputs` mounted read-only in its work dir; a python
   * runner imports `preload` while it waits.
   */
  start(
    runtime: RuntimeSpec,
    limits: Limits,
    purpose: 'pool' | 'run',
    inputs: ResolvedInput[] = [],
    preload: string[] = [],
  ): Promise<Sandbox> {
    const command = runtimeCommand(runtime, RUNNER_DIR, preload);
    return this.launch(runtime, limits, inputs, runnerFileName(runtime), command, purpose);
  }

  /** A started session sandbox: its resident runner has imported `preload` and waits for jobs. */
  startSession(
    runtime: RuntimeSpec & { runner: SessionRunner },
    limits: Limits,
    inputs: ResolvedInput[],
    preload: string[],
  ): Promise<Sandbox> {
    const command = sessionCommand(runtime, preload);
    return this.launch(runtime, limits, inputs, sessionRunnerFileName(runtime), command, 'session');
  }

  private async launch(
    runtime: RuntimeSpec,
    limits: Limits,
    inputs: ResolvedInput[],
    runnerFile: string,
    command: string[],
    purpose: 'pool' | 'run' | 'session',
  ): Promise<Sandbox> {
    const protocol = purpose === 'session' ? 'session' : 'job';
    const data: Array<string | Uint8Array | number> = [];
    const dataFiles: DataFile[] = [];
    const addData = (dest: string, content: string | Uint8Array | number): void => {
      dataFiles.push({ dest, fd: FD.firstData + data.length });
      data.push(content);
    };
    addData(`${RUNNER_DIR}/${runnerFile}`, this.runners.get(runnerFile) ?? '');
    for (const input of inputs) addData(`${WORK_DIR}/${input.name}`, input.data);
    for (const [path, content] of Object.entries(syntheticEtc())) addData(path, content);
    const args = buildBwrapArgs({
      diskBytes: limits.diskMb * 1_048_576,
      extraMounts: runtime.mounts,
      dataFiles,
      env: scriptEnv(runtime),
      command,
    });
    // A session's runner may preload large libraries before its first run sets the run's own limits.
    const startMemoryMb =
      protocol === 'session' ? Math.max(limits.memoryMb, SESSION_START_MEMORY_MB) : limits.memoryMb;
    const cgroup = await this.cgroups.newSandbox({
      memoryBytes: startMemoryMb * 1_048_576,
      maxProcesses: limits.maxProcesses,
    });
    const sandboxId = randomUUID();
    const sandbox = await Sandbox.start({
      file: this.bwrapPath,
      args,
      data,
      cgroup,
      hostUid: this.opts.hostUid,
      hostGid: this.opts.hostGid,
      startTimeoutMs: START_TIMEOUT_MS,
      protocol,
      onDestroyed: () => this.events.emit('sandbox:destroy', { sandboxId, runtime: runtime.name }),
    });
    this.events.emit('sandbox:create', { sandboxId, runtime: runtime.name, purpose });
    return sandbox;
  }
}
