/**
 * One sandbox: started ahead of its job, used for exactly one job, then destroyed.
 *
 * start(): spawn bwrap (as an unprivileged host uid when we are root) -> bwrap mounts everything and
 * blocks on FD.block -> we read the sandbox's pid from FD.json, move it into its cgroups and release it ->
 * the runner says `ready` on FD.status and waits -> we open its /work and /tmp (held, so out/ and the
 * disk usage stay readable after the sandbox is gone).
 * run(job): set the limits, send stdin and the job (see jobMessage) on FD.go -> the runner writes the
 * job's files and script into /work, checks the script's syntax, reports `ok` or `syntax ...`, closes
 * every fd but 0-2, sets the job's environment variables and runs the script -> we enforce wall time,
 * CPU time and output size, and SIGKILL the sandbox's pid namespace when one is exceeded.
 * Session sandboxes instead hold a resident supervisor that serves many runs (session-protocol.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, rmSync, statfsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { SandboxUnavailableError } from '../errors.js';
import { FD, WORK_DIR } from './bwrap.js';
import type { SandboxCgroup } from './cgroups.js';
import { sealStdio, type StdioEntry } from './fds.js';
import { RunningJob, type Job } from './job.js';
import { encodeArgs, encodeEnv } from './script-env.js';
import { exitStatus, parseStatus, type SandboxRunOutcome } from './outcome.js';
import { encodeFrame, parseSessionEvent, type SessionEvent, type SessionFrame } from './session-protocol.js';

export interface SandboxSpec {
  /** bwrap and its arguments; or, unsandboxed, the runtime command itself. */
  file: string;
  args: string[];
  /** Contents for fds FD.firstData, FD.firstData + 1, ...: bytes to write, or an open host fd to pass. */
  data: Array<string | Uint8Array | number>;
  /** The sandbox's cgroup; null only for --unsafe-no-sandbox runs (no CPU/memory enforcement there). */
  cgroup: SandboxCgroup | null;
  hostUid: number | null;
  hostGid: number | null;
  /** Unsandboxed runs only: the host directory that is the work dir (removed on destroy) and the env. */
  hostWorkDir?: string;
  env?: Record<string, string>;
  startTimeoutMs: number;
  /** Aborting it while the sandbox starts kills it: start() rejects with SandboxStartError. */
  signal?: AbortSignal;
  /**
   * `job`: the runner takes one job (see jobMessage) and reports plain lines. `session`: the runner
   * serves many jobs sent as `<length>\n<json>` frames and reports JSON lines (runners/session.*).
   */
  protocol?: 'job' | 'session';
  /** Called once the sandbox is destroyed and its cgroups are removed; destroy() waits for it. */
  onDestroyed?: () => void | Promise<void>;
}

/** What a session receives from its sandbox once it is ready. */
export interface SessionListener {
  onEvent(event: SessionEvent): void;
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  /** The sandbox exited (crashed, killed, or closed). */
  onExit(): void;
}

/**
 * The sandbox could not be started; the message says why (bwrap's own words when it has any). The engine
 * turns it into a run's `sandbox` result, or a SandboxUnavailableError of its own for a session.
 */
export class SandboxStartError extends SandboxUnavailableError {}

const STATUS_MAX = 65_536;
const STARTUP_LOG_MAX = 16_384;
/** How long a kill waits for bwrap to name its child (see kill()) before it kills bwrap regardless. */
const CHILD_PID_WAIT_MS = 2_000;

export class Sandbox {
  private readonly child: ChildProcess;
  private readonly closed: Promise<void>;
  private statusText = '';
  private startupLog = '';
  private childPid: number | null = null;
  private jsonExitCode: number | null = null;
  private dirFds: number[] = [];
  private readyWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private job: RunningJob | null = null;
  private listener: SessionListener | null = null;
  /** The ready event of a session runner (what failed to preload, if anything). */
  readyEvent: Extract<SessionEvent, { event: 'ready' }> | null = null;
  private used = false;
  private destroyed: Promise<void> | null = null;
  /** kill() was called: a child bwrap names from now on is killed, never let go on. */
  private killRequested = false;

  private constructor(private readonly spec: SandboxSpec) {
    const wanted: StdioEntry[] = ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'];
    for (const item of spec.data) wanted.push(typeof item === 'number' ? item : 'pipe');
    const { stdio, done } = sealStdio(wanted);
    this.child = spawn(spec.file, spec.args, {
      stdio,
      env: spec.env ?? {},
      ...(spec.hostWorkDir !== undefined ? { cwd: spec.hostWorkDir } : {}),
      ...(spec.hostUid !== null ? { uid: spec.hostUid } : {}),
      ...(spec.hostGid !== null ? { gid: spec.hostGid } : {}),
    });
    done();
    this.closed = new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.once('error', (err) => {
        this.failStart(`cannot start ${spec.file}: ${err.message}`);
        resolve();
      });
    });
    void this.closed.then(() => this.failStart(this.exitDescription()));
    this.listen();
    this.feedData();
  }

  /**
   * Starts a sandbox and resolves once its runner waits for a job; rejects with SandboxStartError (also
   * when `spec.signal` aborts first). A sandbox that did not start is destroyed before it rejects.
   */
  static async start(spec: SandboxSpec): Promise<Sandbox> {
    const { signal } = spec;
    const sandbox = new Sandbox(spec);
    const timer = setTimeout(
      () => sandbox.failStart(`the sandbox did not start within ${spec.startTimeoutMs} ms`),
      spec.startTimeoutMs,
    );
    const onAbort = (): void => sandbox.failStart('the sandbox start was cancelled');
    try {
      const ready = new Promise<void>((resolve, reject) => {
        sandbox.readyWaiter = { resolve, reject };
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      await ready;
      return sandbox;
    } catch (err) {
      await sandbox.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Ready for a job: started, unused and still alive. */
  get idle(): boolean {
    return !this.used && this.readyWaiter === null && !this.exited && this.destroyed === null;
  }

  /** Host path through which the sandbox's work dir is readable until destroy(). */
  get workDir(): string {
    if (this.spec.hostWorkDir !== undefined) return this.spec.hostWorkDir;
    const fd = this.dirFds[0];
    if (fd === undefined) throw new Error('sandbox work dir is not open');
    return `/proc/self/fd/${fd}`;
  }

  /** Runs the one job this sandbox is for, to completion. */
  async run(job: Job): Promise<SandboxRunOutcome> {
    if (!this.idle) throw new Error('a sandbox runs one job, once it has started');
    this.used = true;
    const running = new RunningJob(this, job);
    this.job = running;
    try {
      const cgroup = this.spec.cgroup;
      cgroup?.setLimits({
        memoryBytes: job.limits.memoryMb * 1_048_576,
        maxProcesses: job.limits.maxProcesses,
      });
      cgroup?.startAccounting();
    } catch (err) {
      running.setupError = `cannot set the sandbox's limits: ${(err as Error).message}`;
      this.kill();
    }
    endQuietly(this.child.stdin, job.stdin);
    // The runner writes the script into the work dir itself: host uids are not mapped inside the sandbox.
    endQuietly(this.pipe<Writable>(FD.go), jobMessage(job));
    running.startTimers();
    try {
      await this.closed;
    } finally {
      running.stopTimers();
    }
    const usage = this.spec.cgroup?.usage() ?? {
      cpuMs: 0,
      peakMemoryBytes: 0,
      oomKills: 0,
      pidsLimitHits: 0,
    };
    const status = parseStatus(this.statusText);
    return {
      started: status.started,
      setupError: running.setupError,
      ...exitStatus(this.jsonExitCode ?? this.child.exitCode, this.child.signalCode),
      stdout: running.stdout.buffer(),
      stderr: running.stderr.buffer(),
      truncated: { stdout: running.stdout.truncated, stderr: running.stderr.truncated },
      killedFor: running.killedFor,
      syntax: status.syntax,
      usage: { ...usage, wallMs: Math.round(performance.now() - running.startedAt) },
      diskFull: this.diskFull,
    };
  }

  /**
   * Kills whatever is left, releases the held dirs at once, and settles when the cgroups are removed
   * (bookkeeping: once bwrap has exited, its pid namespace's init has already reaped every process).
   * Idempotent; rejects if a cgroup could not be removed.
   */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      this.kill();
      await this.closed;
      for (const fd of this.dirFds.splice(0)) closeSync(fd);
      if (this.spec.hostWorkDir !== undefined)
        rmSync(this.spec.hostWorkDir, { recursive: true, force: true });
      try {
        await this.spec.cgroup?.destroy();
      } finally {
        await this.spec.onDestroyed?.();
      }
    })();
    return this.destroyed;
  }

  /**
   * SIGKILLs the sandbox: its pid namespace (via its init), bwrap, and anything left in its cgroups. Early
   * in a start (a start cancelled at once), before bwrap has named its child: killing bwrap then could
   * orphan that child, not yet in the cgroup and holding our pipes, so it waits for the name (onChildPid
   * kills both then; CHILD_PID_WAIT_MS at most).
   */
  kill(): void {
    this.killRequested = true;
    if (this.childPid === null && this.spec.cgroup !== null && !this.exited) {
      setTimeout(() => {
        if (this.childPid === null && !this.exited) this.child.kill('SIGKILL');
      }, CHILD_PID_WAIT_MS).unref();
      return;
    }
    if (this.childPid !== null && this.child.exitCode === null) signalQuietly(this.childPid);
    this.child.kill('SIGKILL');
    this.spec.cgroup?.killAll();
  }

  private listen(): void {
    const status = this.pipe<Readable>(FD.status);
    status.setEncoding('utf8');
    if (this.spec.protocol === 'session') {
      onLines(status, (line) => this.onSessionLine(line));
    } else {
      status.on('data', (text: string) => {
        const wasReady = this.statusText.startsWith('ready\n');
        if (this.statusText.length < STATUS_MAX) this.statusText += text;
        if (!wasReady && this.statusText.startsWith('ready\n')) this.onReady();
      });
    }
    for (const [stream, name] of [
      [this.child.stdout, 'stdout'],
      [this.child.stderr, 'stderr'],
    ] as const) {
      stream?.on('data', (chunk: Buffer) => {
        if (this.job) this.job.collect(name, chunk);
        else if (this.listener) this.listener.onOutput(name, chunk);
        else if (this.startupLog.length < STARTUP_LOG_MAX) this.startupLog += chunk.toString('utf8');
      });
    }
    onLines(this.pipe<Readable>(FD.json), (line) => this.onJson(line));
  }

  private onSessionLine(line: string): void {
    const event = parseSessionEvent(line);
    if (event === null) return;
    if (event.event === 'ready') {
      if (this.readyEvent !== null) return;
      this.readyEvent = event;
      this.onReady();
    } else {
      this.listener?.onEvent(event);
    }
  }

  /** Hands the sandbox to a session: its events, output and exit go to `listener` from now on. */
  attachSession(listener: SessionListener): void {
    if (this.spec.protocol !== 'session' || !this.idle) throw new Error('not an idle session sandbox');
    this.used = true;
    this.listener = listener;
    void this.closed.then(() => listener.onExit());
  }

  /** Sends one frame to a session supervisor. */
  send(frame: SessionFrame): void {
    this.pipe<Writable>(FD.go).write(encodeFrame(frame));
  }

  /** The sandbox's cgroup (null when unsandboxed). */
  get cgroup(): SandboxCgroup | null {
    return this.spec.cgroup;
  }

  /** The work dir or /tmp is full. */
  get diskFull(): boolean {
    return this.dirFds.some(isFull);
  }

  private onJson(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof message['child-pid'] === 'number') void this.onChildPid(message['child-pid']);
    if (typeof message['exit-code'] === 'number') this.jsonExitCode = message['exit-code'];
  }

  /** bwrap is mounted and blocked before its first process: confine it, then let it go on. */
  private async onChildPid(pid: number): Promise<void> {
    if (!this.spec.cgroup) return;
    this.childPid = pid;
    // Killed before bwrap named its child, or while it was being confined: kill it, never let it go on.
    if (this.killRequested) {
      this.kill();
      return;
    }
    try {
      await this.spec.cgroup.attach(pid);
    } catch (err) {
      this.failStart(`cannot move the sandbox into its cgroup: ${(err as Error).message}`);
      return;
    }
    if (this.killRequested) {
      this.kill();
      return;
    }
    endQuietly(this.pipe<Writable>(FD.block), 'x');
  }

  /** The runner waits inside: hold its /work and /tmp, and the sandbox is ready for a job. */
  private onReady(): void {
    if (this.spec.hostWorkDir === undefined) {
      try {
        for (const dir of [WORK_DIR, '/tmp']) {
          const path = `/proc/${this.childPid ?? 0}/root${dir}`;
          this.dirFds.push(openSync(path, constants.O_RDONLY | constants.O_DIRECTORY));
        }
      } catch (err) {
        this.failStart(`cannot open the sandbox's work directory: ${(err as Error).message}`);
        return;
      }
    }
    this.readyWaiter?.resolve();
    this.readyWaiter = null;
  }

  private failStart(message: string): void {
    if (!this.readyWaiter) return;
    this.readyWaiter.reject(new SandboxStartError(message));
    this.readyWaiter = null;
    this.kill();
  }

  private exitDescription(): string {
    const said = this.startupLog.trim();
    return said !== ''
      ? said
      : `the sandbox exited (${this.child.exitCode ?? this.child.signalCode}) before its runner started`;
  }

  private feedData(): void {
    this.spec.data.forEach((item, index) => {
      if (typeof item !== 'number') endQuietly(this.pipe<Writable>(FD.firstData + index), item);
    });
  }

  /** The pipe at stdio index `fd` (spawned with 'pipe' there). */
  private pipe<T extends Readable | Writable>(fd: number): T {
    const stream = (this.child.stdio as ReadonlyArray<Readable | Writable | null | undefined>)[fd];
    if (!stream) throw new Error(`no pipe at fd ${fd}`);
    return stream as T;
  }

  cpuMs(): number {
    return this.spec.cgroup?.cpuMs() ?? 0;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
}

/**
 * A job as the runners read it: `go <file> <n> <m> <k>\n`, n files as `<name-length> <size>\n<name><bytes>`,
 * m environment variables as `NAME=VALUE\0` and k arguments as `ARG\0` (script-env.ts), then the script
 * source up to EOF.
 */
function jobMessage(job: Job): Buffer {
  const files = job.files ?? [];
  const env = job.env ?? {};
  const args = job.args ?? [];
  const header = `go ${job.scriptFile} ${files.length} ${Object.keys(env).length} ${args.length}\n`;
  const parts: Buffer[] = [Buffer.from(header)];
  for (const file of files) {
    const name = Buffer.from(file.name);
    const content = Buffer.from(file.content);
    parts.push(Buffer.from(`${name.length} ${content.length}\n`), name, content);
  }
  parts.push(encodeEnv(env), encodeArgs(args), Buffer.from(job.code));
  return Buffer.concat(parts);
}

/** Calls `onLine` for each complete line arriving on `stream`. */
function onLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    pending += text;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
}

function endQuietly(stream: Writable | null | undefined, content: string | Uint8Array | undefined): void {
  if (!stream) return;
  stream.on('error', () => undefined); // a sandbox that died early closes its pipes
  stream.end(content ?? '');
}

function signalQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function isFull(fd: number): boolean {
  try {
    return statfsSync(`/proc/self/fd/${fd}`).bavail === 0;
  } catch {
    return false;
  }
}
