/** Starts bwrap sandboxes for a runtime: the bwrap command, the files it carries, the cgroup it runs in. */
import { randomUUID } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { buildBwrapArgs, FD, RUNNER_DIR, syntheticEtc, WORK_DIR, type DataFile } from '../sandbox/bwrap.js';
import type { CgroupManager } from '../sandbox/cgroups.js';
import { egressLayout } from '../sandbox/egress-layout.js';
import {
  loadRunners,
  runnerCompanions,
  runnerFileName,
  runtimeCommand,
  scriptEnv,
  sessionCommand,
  SESSION_SUPERVISOR_FILE,
} from '../sandbox/runtimes/command.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import { buildSeccompFilter } from '../sandbox/seccomp.js';
import { Sandbox } from '../sandbox/sandbox.js';
import type { HostUid, UidPool } from '../sandbox/uid-pool.js';
import type { SandboxEgress } from './egress.js';
import type { EngineEventEmitter } from './events.js';
import type { ResolvedInput } from './inputs.js';
import type { Limits } from './options.js';

/** How long a sandbox may take to come up before it is killed and reported. */
export const START_TIMEOUT_MS = 30_000;

/** Memory a session may use while its runner preloads libraries (pandas, matplotlib...). */
const SESSION_START_MEMORY_MB = 1024;

/** A sandbox's network: its proxy (opened once the sandbox's host uid is known, closed with it). */
export interface EgressLaunch {
  proxy: SandboxEgress;
  /** System bundle + the operator's CA, or null: the system's alone. */
  caBundle: string | null;
  /** The Python interpreter that runs the relay inside (runners/egress_bridge.py). */
  python: string;
}

/** What a sandbox is started for and with (one call of SandboxLauncher.start). */
export interface LaunchOpts {
  runtime: RuntimeSpec;
  limits: Limits;
  purpose: 'pool' | 'run';
  /** Mounted read-only in the work dir (default none). */
  inputs?: ResolvedInput[];
  /** Modules a python runner imports while it waits (default none). */
  preload?: string[];
  /** Aborting it cancels the start: a wait for a free host uid, or the sandbox coming up (it is destroyed). */
  signal?: AbortSignal;
  /** Network granted: the proxy is closed however the start ends, or once the sandbox is destroyed. */
  egress?: EgressLaunch;
}

/** What a session sandbox is started with (one call of SandboxLauncher.startSession). */
export interface SessionLaunchOpts {
  runtime: RuntimeSpec;
  /** Runs keep their state (a state holder), or each runs fresh. */
  stateful: boolean;
  limits: Limits;
  inputs: ResolvedInput[];
  preload: string[];
  /** The Python interpreter that runs the session's supervisor. */
  python: string;
  /** Aborting it cancels the start: a wait for a free host uid, or the sandbox coming up (it is destroyed). */
  signal?: AbortSignal;
  /** Network granted (see LaunchOpts.egress). */
  egress?: EgressLaunch;
}

export class SandboxLauncher {
  private readonly runners = loadRunners();

  constructor(
    private readonly bwrapPath: string,
    private readonly cgroups: CgroupManager,
    private readonly events: EngineEventEmitter,
    /** Host uids for sandboxes, one per live sandbox; null: they run as the caller's uid (not root). */
    private readonly uids: UidPool | null,
  ) {}

  /**
   * A started sandbox for one job of `runtime`, with `inputs` mounted read-only in its work dir; a python
   * runner imports `preload` while it waits. When `signal` aborts first, it rejects (what with: see launch).
   */
  start(opts: LaunchOpts): Promise<Sandbox> {
    const { runtime, inputs = [], preload = [] } = opts;
    const command = runtimeCommand(runtime, RUNNER_DIR, preload);
    return this.launch(opts, inputs, runnerFileName(runtime), command, opts.purpose);
  }

  /**
   * A started session sandbox: its supervisor (run by the `python` interpreter unless the runtime is
   * Python itself) has imported `preload` and waits for jobs.
   */
  startSession(opts: SessionLaunchOpts): Promise<Sandbox> {
    const command = sessionCommand(opts.runtime, opts.preload, opts.python, opts.stateful);
    return this.launch(opts, opts.inputs, SESSION_SUPERVISOR_FILE, command, 'session');
  }

  /**
   * Rejects when `signal` aborts before the sandbox is up: with UidWaitCancelledError while it waits for
   * a uid, with SandboxStartError while it starts (destroyed by then), else with `signal.reason`.
   */
  private async launch(
    opts: { runtime: RuntimeSpec; limits: Limits; signal?: AbortSignal; egress?: EgressLaunch },
    inputs: ResolvedInput[],
    runnerFile: string,
    command: string[],
    purpose: 'pool' | 'run' | 'session',
  ): Promise<Sandbox> {
    const { runtime, limits, signal, egress } = opts;
    const protocol = purpose === 'session' ? 'session' : 'job';
    const sandboxId = randomUUID();
    // A host uid no other live sandbox has, given back (idempotently) once this sandbox is gone.
    let hostUid: HostUid | null = null;
    let sandbox: Sandbox;
    /** Host fds of directories bound from an fd: bwrap has its own copy once spawned. */
    const hostFds: number[] = [];
    try {
      hostUid = this.uids ? await this.uids.acquire(signal) : null;
      signal?.throwIfAborted();
      const owner = hostUid ? { uid: hostUid.uid, gid: hostUid.gid } : null;
      const socket = egress ? await egress.proxy.open(owner) : null;
      signal?.throwIfAborted();
      const { args, data } = this.sandboxArgs(opts, inputs, runnerFile, command, purpose, socket, hostFds);
      // A session's runner may preload large libraries before its first run sets the run's own limits.
      const startMemoryMb =
        protocol === 'session' ? Math.max(limits.memoryMb, SESSION_START_MEMORY_MB) : limits.memoryMb;
      const cgroup = await this.cgroups.newSandbox({
        memoryBytes: startMemoryMb * 1_048_576,
        maxProcesses: limits.maxProcesses,
      });
      const uid = hostUid;
      sandbox = await Sandbox.start({
        file: this.bwrapPath,
        args,
        data,
        cgroup,
        hostUid: uid?.uid ?? null,
        hostGid: uid?.gid ?? null,
        startTimeoutMs: START_TIMEOUT_MS,
        protocol,
        signal,
        onDestroyed: async () => {
          try {
            await egress?.proxy.close();
          } finally {
            uid?.release();
            this.events.emit('sandbox:destroy', { sandboxId, runtime: runtime.name });
          }
        },
      });
    } catch (err) {
      // Quarantined, not reused blindly: the pool checks nothing of this start is left first.
      await egress?.proxy.close();
      hostUid?.release();
      throw err;
    } finally {
      for (const fd of hostFds) closeSync(fd);
    }
    this.events.emit('sandbox:create', { sandboxId, runtime: runtime.name, purpose });
    return sandbox;
  }

  /** bwrap's argv and the contents of its data fds; `socket`: the egress proxy's, when granted. */
  private sandboxArgs(
    { runtime, limits, egress }: { runtime: RuntimeSpec; limits: Limits; egress?: EgressLaunch },
    inputs: ResolvedInput[],
    runnerFile: string,
    command: string[],
    purpose: 'pool' | 'run' | 'session',
    socket: string | null,
    hostFds: number[],
  ): { args: string[]; data: Array<string | Uint8Array | number> } {
    const data: Array<string | Uint8Array | number> = [];
    const dataFiles: DataFile[] = [];
    const addData = (dest: string, content: string | Uint8Array | number): void => {
      dataFiles.push({ dest, fd: FD.firstData + data.length });
      data.push(content);
    };
    for (const file of [runnerFile, ...runnerCompanions(runnerFile)])
      addData(`${RUNNER_DIR}/${file}`, this.runners.get(file) ?? '');
    for (const input of inputs) addData(`${WORK_DIR}/${input.name}`, input.data);
    for (const [path, content] of Object.entries(syntheticEtc())) addData(path, content);
    const network =
      egress && socket !== null
        ? egressLayout({
            hostSocket: socket,
            caBundle: egress.caBundle,
            python: egress.python,
            runtimeEnv: runtime.env,
            runners: this.runners,
          })
        : null;
    for (const file of network?.dataFiles ?? []) addData(file.dest, file.content);
    const dirFds: DataFile[] = [];
    for (const dir of network?.dirs ?? []) {
      hostFds.push(openSync(dir.hostPath, constants.O_RDONLY | constants.O_DIRECTORY));
      dirFds.push({ dest: dir.dest, fd: FD.firstData + data.length });
      data.push(hostFds.at(-1) ?? -1);
    }
    // The seccomp filter is no file: bwrap reads it from this fd and installs it right before exec. A
    // session's supervisor gets its own profile and installs the `run` filter itself in each run.
    const seccompFd = FD.firstData + data.length;
    data.push(buildSeccompFilter(purpose === 'session' ? 'supervisor' : 'run'));
    if (purpose === 'session') addData(`${RUNNER_DIR}/run.bpf`, buildSeccompFilter('run'));
    const args = buildBwrapArgs({
      diskBytes: limits.diskMb * 1_048_576,
      extraMounts: runtime.mounts,
      binds: network?.binds ?? [],
      dirFds,
      dataFiles,
      env: { ...scriptEnv(runtime), ...network?.env },
      command: network ? network.command(command) : command,
      seccompFd,
      // The supervisor makes each run's pid and mount namespaces (setns into a mount ns needs SYS_CHROOT).
      ...(purpose === 'session' ? { capAdd: ['CAP_SYS_ADMIN', 'CAP_SYS_CHROOT'] } : {}),
    });
    return { args, data };
  }
}
