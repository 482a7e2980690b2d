/**
 * One run inside a session, seen from the host: its output until the end token, its events, its limits.
 * The run is over after a syntax report, or after the exit event once both output streams have ended
 * with the token the supervisor chose after the script was gone, and once the session's cgroup holds no
 * more tasks than before the run (nothing of the run is left).
 */
import type { SandboxCgroup } from '../sandbox/cgroups.js';
import {
  utf8Boundary,
  type KillReason,
  type SandboxRunOutcome,
  type SyntaxReport,
} from '../sandbox/outcome.js';
import type { SessionEvent } from '../sandbox/session-protocol.js';
import type { Limits } from './options.js';

const CPU_POLL_MS = 20;
/** `\n` + 32 hex digits + `\n`: what the runner appends to each stream when a run is over. */
const TOKEN_BYTES = 34;
/** After a kill, how long the runner has to report the exit before the session is given up. */
const KILL_GRACE_MS = 5_000;
/** How often the cgroup is read while the run's last tasks are being torn down. */
const DRAIN_POLL_MS = 1;

export interface SessionRunHooks {
  /** Asks the runner to kill the run and everything it started. */
  kill(): void;
  /** Gives up on the whole session (the runner did not answer a kill). */
  abandon(): void;
  /** Called with each chunk as it arrives (streaming). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** How many bytes at the end of `tail` could be the start of an end token (`\n` + 32 hex + `\n`). */
function possibleTokenStart(tail: Buffer): number {
  const text = tail.toString('latin1');
  const match = /\n(?:[0-9a-f]{32}\n|[0-9a-f]{0,32})$/.exec(text);
  return match ? text.length - match.index : 0;
}

/**
 * Keeps a stream's bytes up to the cap (plus room for the token) and the tail needed to see the token.
 * Streaming forwards everything but a tail that could still become the token (usually just a final
 * newline), so the token itself is never streamed and a line arrives as soon as it is printed.
 */
class TokenStream {
  private readonly chunks: Buffer[] = [];
  private stored = 0;
  private tail = Buffer.alloc(0);
  private forwarded = 0;
  /** The first chunk not wholly forwarded, and where it starts. */
  private forwardedChunk = 0;
  private forwardedChunkStart = 0;
  overflowed = false;

  constructor(
    private readonly cap: number,
    private readonly forward: ((bytes: Buffer) => void) | undefined,
  ) {}

  /** Returns false once the stream holds more than the cap could (the run must be stopped). */
  push(chunk: Buffer): boolean {
    const room = this.cap + TOKEN_BYTES - this.stored;
    if (chunk.length > room) this.overflowed = true;
    const kept = chunk.subarray(0, Math.max(0, room));
    if (kept.length > 0) {
      this.chunks.push(kept);
      this.stored += kept.length;
    }
    this.tail = Buffer.concat([this.tail, chunk]).subarray(-TOKEN_BYTES);
    this.forwardUpTo(Math.min(this.cap, this.stored - possibleTokenStart(this.tail)));
    return !this.overflowed;
  }

  /** At the end of the run: forwards what was held back, unless it is the token. */
  finish(token: string | null): void {
    this.forwardUpTo(this.result(token).bytes.length);
  }

  private forwardUpTo(end: number): void {
    if (!this.forward || end <= this.forwarded) return;
    // Walk the chunks from the first one not wholly forwarded (no copy of everything stored).
    const parts: Buffer[] = [];
    let offset = this.forwardedChunkStart;
    for (let index = this.forwardedChunk; index < this.chunks.length && offset < end; index++) {
      const chunk = this.chunks[index] ?? Buffer.alloc(0);
      const from = Math.max(0, this.forwarded - offset);
      const to = Math.min(chunk.length, end - offset);
      if (to > from) parts.push(chunk.subarray(from, to));
      if (offset + chunk.length <= end) {
        this.forwardedChunk = index + 1;
        this.forwardedChunkStart = offset + chunk.length;
      }
      offset += chunk.length;
    }
    this.forward(Buffer.concat(parts));
    this.forwarded = end;
  }

  endsWith(token: string): boolean {
    return this.tail.toString('latin1') === `\n${token}\n`;
  }

  /** The run's own bytes (the token removed) and whether they were cut at the cap. */
  result(token: string | null): { bytes: Buffer; truncated: boolean } {
    let bytes = Buffer.concat(this.chunks);
    if (
      token !== null &&
      !this.overflowed &&
      bytes.subarray(-TOKEN_BYTES).toString('latin1') === `\n${token}\n`
    ) {
      bytes = bytes.subarray(0, bytes.length - TOKEN_BYTES);
    }
    if (bytes.length <= this.cap && !this.overflowed) return { bytes, truncated: false };
    const cut = bytes.subarray(0, Math.min(bytes.length, this.cap));
    return { bytes: cut.subarray(0, utf8Boundary(cut)), truncated: true };
  }
}

export class SessionRun {
  readonly done: Promise<void>;
  private finish: () => void = () => undefined;
  private readonly stdout: TokenStream;
  private readonly stderr: TokenStream;
  private readonly startedAt = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onAbort = (): void => this.stop('cancelled');
  private started = false;
  private syntax: SyntaxReport | null = null;
  private exit: { code: number | null; signal: string | null; token: string } | null = null;
  /** What the supervisor says became of a stateful session's state. */
  state: 'updated' | 'kept' | 'reset' | null = null;
  private killedFor: KillReason | null = null;
  private lost: string | null = null;
  private draining = false;
  private ended = false;

  constructor(
    readonly id: number,
    private readonly limits: Limits,
    private readonly cgroup: SandboxCgroup,
    /** Tasks in the session's cgroup before the run (the idle supervisor's and its state's). */
    private idleTasks: number,
    /** Stateful sessions: the idle tasks besides the state holder's (whose count the exit event gives). */
    private readonly stateBase: number | null,
    private readonly signal: AbortSignal | undefined,
    private readonly hooks: SessionRunHooks,
  ) {
    const forward = (stream: 'stdout' | 'stderr'): ((bytes: Buffer) => void) | undefined =>
      hooks.onOutput ? (bytes) => hooks.onOutput?.(stream, bytes) : undefined;
    this.stdout = new TokenStream(limits.maxOutputBytes, forward('stdout'));
    this.stderr = new TokenStream(limits.maxOutputBytes, forward('stderr'));
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.timers.push(setTimeout(() => this.stop('timeout'), limits.timeoutMs));
    this.timers.push(
      setInterval(() => {
        if (this.cgroup.cpuMs() > limits.cpuMs) this.stop('cpu');
      }, CPU_POLL_MS),
    );
    if (signal?.aborted) this.stop('cancelled');
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  onEvent(event: SessionEvent): void {
    if (!('id' in event) || event.id !== this.id) return;
    if (event.event === 'started') this.started = true;
    if (event.event === 'syntax') {
      this.syntax = { line: event.line, column: event.column, message: event.message };
      this.end();
    }
    if (event.event === 'exit' && this.exit === null) {
      if (event.error !== undefined) {
        this.lost ??= `the session runner could not run the script: ${event.error}`;
      }
      this.exit = { code: event.code, signal: event.signal, token: event.token };
      this.state = event.state ?? null;
      if (this.stateBase !== null && event.stateTasks !== undefined)
        this.idleTasks = this.stateBase + event.stateTasks;
      this.checkEnd();
    }
  }

  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (!this[stream].push(chunk)) this.stop('output_limit');
    this.checkEnd();
  }

  /** The sandbox itself is gone: the run ends with what it has. */
  onSandboxExit(): void {
    this.lost ??= 'the session sandbox exited during the run; the session is closed';
    this.end();
  }

  outcome(diskFull: boolean): SandboxRunOutcome {
    const token = this.exit?.token ?? null;
    const stdout = this.stdout.result(token);
    const stderr = this.stderr.result(token);
    const usage = this.cgroup.usage();
    return {
      started: this.started,
      setupError: this.lost,
      exitCode: this.exit?.code ?? null,
      signal: this.exit ? this.exit.signal : this.syntax ? null : 'SIGKILL',
      stdout: stdout.bytes,
      stderr: stderr.bytes,
      truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
      killedFor: this.killedFor ?? (stdout.truncated || stderr.truncated ? 'output_limit' : null),
      syntax: this.syntax,
      usage: {
        ...usage,
        peakMemoryBytes: Math.max(0, usage.peakMemoryBytes - this.cgroup.memoryAtStartBytes),
        wallMs: Math.round(performance.now() - this.startedAt),
      },
      diskFull,
    };
  }

  private stop(reason: KillReason): void {
    if (this.exit !== null || this.syntax !== null) return;
    this.killedFor ??= reason;
    this.hooks.kill();
    this.timers.push(
      setTimeout(() => {
        this.lost ??= `the session did not stop its run within ${KILL_GRACE_MS} ms of a kill; the session is closed`;
        this.hooks.abandon();
        this.end();
      }, KILL_GRACE_MS),
    );
  }

  private checkEnd(): void {
    const token = this.exit?.token;
    if (token === undefined || !this.stdout.endsWith(token) || !this.stderr.endsWith(token)) return;
    if (this.cgroup.processCount() <= this.idleTasks) this.end();
    else if (!this.draining) {
      this.draining = true;
      const poll = setInterval(() => {
        if (this.cgroup.processCount() > this.idleTasks) return;
        clearInterval(poll);
        this.end();
      }, DRAIN_POLL_MS);
      this.timers.push(
        poll,
        setTimeout(() => {
          this.lost ??= `a process of the run was still there ${KILL_GRACE_MS} ms after it ended; the session is closed`;
          this.hooks.abandon();
          this.end();
        }, KILL_GRACE_MS),
      );
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const token = this.exit?.token ?? null;
    this.stdout.finish(token);
    this.stderr.finish(token);
    for (const timer of this.timers) clearTimeout(timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.finish();
  }
}
