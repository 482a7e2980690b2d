/**
 * Runs one bwrap sandbox to completion and reports raw facts: exit status, output, which limit (if any)
 * made the host kill it, the runner's syntax report, cgroup usage, and a handle on the work directory.
 *
 * Sequence: spawn bwrap (as an unprivileged host uid when we are root) -> bwrap mounts everything and
 * blocks on FD.block -> we read the sandbox's pid from FD.json, move it into the run's cgroups and open
 * its work directory (so out/ stays readable after the sandbox is gone) -> release the block -> the
 * runner checks syntax, reports on FD.status and starts the script -> we enforce wall time, CPU time and
 * output size, and SIGKILL the sandbox's pid namespace when one is exceeded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, statfsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Limits } from '../engine/options.js';
import { FD, WORK_DIR } from './bwrap.js';
import { sealStdio, type StdioEntry } from './fds.js';
import type { CgroupUsage, RunCgroup } from './cgroups.js';

export type KillReason = 'timeout' | 'cpu' | 'output_limit' | 'cancelled';

export interface SyntaxReport {
  line: number;
  column: number;
  message: string;
}

export interface SandboxRunSpec {
  /** bwrap and its arguments; or, unsandboxed, the runtime command itself. */
  file: string;
  args: string[];
  /** Working directory and environment (unsandboxed runs only; bwrap sets its own inside). */
  cwd?: string;
  env?: Record<string, string>;
  /** Contents for fds FD.firstData, FD.firstData + 1, ...: bytes to write, or an open host fd to pass. */
  data: Array<string | Uint8Array | number>;
  stdin: string | Uint8Array | undefined;
  limits: Limits;
  /** The run's cgroup; null only for --unsafe-no-sandbox runs (no CPU/memory enforcement there). */
  cgroup: RunCgroup | null;
  hostUid: number | null;
  hostGid: number | null;
  signal: AbortSignal | undefined;
}

export interface SandboxRunOutcome {
  /** True once the runner said the script passed its syntax check and was started. */
  started: boolean;
  /** Why the host could not start or confine the sandbox, when it could not. */
  setupError: string | null;
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  truncated: { stdout: boolean; stderr: boolean };
  killedFor: KillReason | null;
  syntax: SyntaxReport | null;
  usage: CgroupUsage & { wallMs: number };
  /** The work dir or /tmp filled up (tmpfs size cap reached). */
  diskFull: boolean;
  /** Host path through which the sandbox's work dir is readable until release() is called. */
  workDir: string | null;
  release(): void;
  /**
   * Settles when the run's cgroups are removed. Every sandbox process is already dead when the outcome is
   * returned (the pid namespace's init reaps them all before bwrap exits); this is only bookkeeping, kept
   * off the critical path. Rejects if a cgroup could not be removed.
   */
  cleanup: Promise<void>;
}

const CPU_POLL_MS = 20;

export async function runSandbox(spec: SandboxRunSpec): Promise<SandboxRunOutcome> {
  const started = performance.now();
  const wanted: StdioEntry[] = ['pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'];
  for (const item of spec.data) wanted.push(typeof item === 'number' ? item : 'pipe');
  const { stdio, done } = sealStdio(wanted);
  const child = spawn(spec.file, spec.args, {
    stdio,
    env: spec.env ?? {},
    ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
    ...(spec.hostUid !== null ? { uid: spec.hostUid } : {}),
    ...(spec.hostGid !== null ? { gid: spec.hostGid } : {}),
  });

  done();
  const state = new RunState(child, spec);
  feedPipes(child, spec);
  try {
    await state.finished;
  } finally {
    state.stopTimers();
  }
  const usage = spec.cgroup?.usage() ?? { cpuMs: 0, peakMemoryBytes: 0, oomKills: 0, pidsLimitHits: 0 };
  const cleanup = spec.cgroup?.destroy() ?? Promise.resolve();
  const status = parseStatus(state.statusText);
  const exit = exitStatus(state, child);
  return {
    started: status.started,
    setupError: state.setupError,
    exitCode: exit.exitCode,
    signal: exit.signal,
    stdout: state.stdout.buffer(),
    stderr: state.stderr.buffer(),
    truncated: { stdout: state.stdout.truncated, stderr: state.stderr.truncated },
    killedFor: state.killedFor,
    syntax: status.syntax,
    usage: { ...usage, wallMs: Math.round(performance.now() - started) },
    diskFull: state.dirFds.some(isFull),
    workDir: state.dirFds[0] === undefined ? null : `/proc/self/fd/${state.dirFds[0]}`,
    release: () => state.releaseDirs(),
    cleanup,
  };
}

/** Everything that happens while the sandbox is alive. */
class RunState {
  readonly stdout: CappedBuffer;
  readonly stderr: CappedBuffer;
  readonly finished: Promise<void>;
  statusText = '';
  jsonExitCode: number | null = null;
  childPid: number | null = null;
  killedFor: KillReason | null = null;
  setupError: string | null = null;
  /** fds of the sandbox's /work and /tmp, held so their tmpfs outlives the sandbox. */
  dirFds: number[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onAbort = (): void => this.kill('cancelled');

  constructor(
    private readonly child: ChildProcess,
    private readonly spec: SandboxRunSpec,
  ) {
    const max = spec.limits.maxOutputBytes;
    this.stdout = new CappedBuffer(max);
    this.stderr = new CappedBuffer(max);
    this.finished = new Promise((resolve) => child.once('close', () => resolve()));
    child.once('error', (err) => {
      this.setupError = `cannot start ${spec.file}: ${err.message}`;
    });
    this.collect(child.stdout, this.stdout);
    this.collect(child.stderr, this.stderr);
    const status = pipe<Readable>(child, FD.status);
    status.setEncoding('utf8');
    status.on('data', (text: string) => {
      const wasReady = this.statusText.startsWith('ready\n');
      if (this.statusText.length < 65_536) this.statusText += text;
      if (!wasReady && this.statusText.startsWith('ready\n')) this.onReady();
    });
    this.watchJson(pipe<Readable>(child, FD.json));
    this.timers.push(setTimeout(() => this.kill('timeout'), spec.limits.timeoutMs));
    this.timers.push(setInterval(() => this.checkCpu(), CPU_POLL_MS));
    if (spec.signal?.aborted) this.kill('cancelled');
    spec.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private collect(stream: Readable | null, sink: CappedBuffer): void {
    stream?.on('data', (chunk: Buffer) => {
      if (!sink.push(chunk)) this.kill('output_limit');
    });
  }

  private watchJson(stream: Readable): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        this.onJson(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    });
  }

  private onJson(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof message['child-pid'] === 'number') this.onChildPid(message['child-pid']);
    if (typeof message['exit-code'] === 'number') this.jsonExitCode = message['exit-code'];
  }

  /** The sandbox is mounted and blocked before its first process: confine it, then let it start. */
  private onChildPid(pid: number): void {
    if (!this.spec.cgroup) return;
    this.childPid = pid;
    try {
      this.spec.cgroup.attach(pid);
    } catch (err) {
      this.failSetup(`cannot move the sandbox into its cgroup: ${(err as Error).message}`);
      return;
    }
    pipe<Writable>(this.child, FD.block).end('x');
  }

  /**
   * The runner is up inside the sandbox and waits: hold its /work and /tmp (so out/ stays readable and
   * a full disk can be seen after the sandbox is gone), then tell it to go on.
   */
  private onReady(): void {
    if (this.spec.cgroup && this.childPid !== null) {
      try {
        for (const dir of [WORK_DIR, '/tmp']) {
          const path = `/proc/${this.childPid}/root${dir}`;
          this.dirFds.push(openSync(path, constants.O_RDONLY | constants.O_DIRECTORY));
        }
      } catch (err) {
        this.failSetup(`cannot open the sandbox's work directory: ${(err as Error).message}`);
        return;
      }
    }
    pipe<Writable>(this.child, FD.go).end('g');
  }

  private failSetup(message: string): void {
    this.setupError = message;
    this.kill(null);
  }

  private checkCpu(): void {
    if (this.childPid !== null && (this.spec.cgroup?.cpuMs() ?? 0) > this.spec.limits.cpuMs) this.kill('cpu');
  }

  /** Kills the whole sandbox: its pid namespace (via its init), bwrap, and anything left in the cgroups. */
  kill(reason: KillReason | null): void {
    if (reason !== null && this.killedFor === null && this.child.exitCode === null) this.killedFor = reason;
    if (this.childPid !== null) signalQuietly(this.childPid);
    this.child.kill('SIGKILL');
    this.spec.cgroup?.killAll();
  }

  stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.spec.signal?.removeEventListener('abort', this.onAbort);
  }

  releaseDirs(): void {
    for (const fd of this.dirFds.splice(0)) closeSync(fd);
  }
}

/** Writes the data fds and stdin; a sandbox that dies early makes these pipes fail, which is fine. */
function feedPipes(child: ChildProcess, spec: SandboxRunSpec): void {
  const write = (stream: Writable | null | undefined, content: string | Uint8Array | undefined): void => {
    if (!stream) return;
    stream.on('error', () => undefined);
    stream.end(content ?? '');
  };
  write(child.stdin, spec.stdin);
  spec.data.forEach((item, index) => {
    if (typeof item !== 'number') write(pipe<Writable>(child, FD.firstData + index), item);
  });
}

/** The pipe at stdio index `fd` (spawned with 'pipe' there). */
function pipe<T extends Readable | Writable>(child: ChildProcess, fd: number): T {
  const stream = (child.stdio as ReadonlyArray<Readable | Writable | null | undefined>)[fd];
  if (!stream) throw new Error(`no pipe at fd ${fd}`);
  return stream as T;
}

function signalQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function exitStatus(
  state: RunState,
  child: ChildProcess,
): { exitCode: number | null; signal: string | null } {
  // bwrap reports a command killed by signal N as 128 + N, like a shell.
  const code = state.jsonExitCode ?? child.exitCode;
  if (code !== null && code > 128 && code < 128 + 65) {
    return { exitCode: null, signal: signalName(code - 128) };
  }
  if (code !== null) return { exitCode: code, signal: null };
  return { exitCode: null, signal: child.signalCode ?? 'SIGKILL' };
}

function signalName(signo: number): string {
  const entry = Object.entries(osConstants.signals).find(([, value]) => value === signo);
  return entry ? entry[0] : `SIG${signo}`;
}

function parseStatus(text: string): { started: boolean; syntax: SyntaxReport | null } {
  if (text.startsWith('ready\nok\n')) return { started: true, syntax: null };
  const match = /^ready\nsyntax (\d+) (\d+)\n([\s\S]*)$/.exec(text);
  if (!match) return { started: false, syntax: null };
  return {
    started: false,
    syntax: { line: Number(match[1]), column: Number(match[2]), message: (match[3] ?? '').trim() },
  };
}

function isFull(fd: number): boolean {
  try {
    return statfsSync(`/proc/self/fd/${fd}`).bavail === 0;
  } catch {
    return false;
  }
}

/** Keeps at most `max` bytes; push() returns false once more than that arrived. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): boolean {
    const room = this.max - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.max;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  /** The kept bytes; when truncated, without a trailing partial UTF-8 character. */
  buffer(): Buffer {
    const all = Buffer.concat(this.chunks);
    return this.truncated ? all.subarray(0, utf8Boundary(all)) : all;
  }
}

/** Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence. */
export function utf8Boundary(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
