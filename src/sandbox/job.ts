/** A one-shot job and its state while it runs: output kept up to the cap, the limits the host enforces. */
import type { Limits } from './limits.js';
import { CappedBuffer, type KillReason } from './outcome.js';

const CPU_POLL_MS = 20;

/** An input file for the work dir: an open host fd (the engine closes it) or the bytes themselves. */
export interface ResolvedInput {
  name: string;
  data: number | string | Uint8Array;
}

export interface Job {
  /** File name the script gets in the work dir (main.py, main.mjs...). */
  scriptFile: string;
  code: string;
  /** Small files the runner writes (read-only) into the work dir before the script. */
  files?: Array<{ name: string; content: string | Uint8Array }> | undefined;
  stdin: string | Uint8Array | undefined;
  /** Extra environment variables the runner sets right before the script starts (validated: script-env.ts). */
  env?: Readonly<Record<string, string>> | undefined;
  /** Command-line arguments after the script's name (validated: script-env.ts). */
  args?: readonly string[] | undefined;
  limits: Limits;
  signal: AbortSignal | undefined;
  /** Receives each chunk of output as it arrives (only what fits the output cap). */
  onOutput?: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
}

/** What a running job needs from its sandbox. */
export interface JobHost {
  /** CPU milliseconds since the job started. */
  cpuMs(): number;
  /** Kills every process of the sandbox. */
  kill(): void;
  readonly exited: boolean;
}

/** The limits and output of the job in flight. */
export class RunningJob {
  readonly stdout: CappedBuffer;
  readonly stderr: CappedBuffer;
  readonly startedAt = performance.now();
  killedFor: KillReason | null = null;
  setupError: string | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onAbort = (): void => this.stop('cancelled');

  constructor(
    private readonly sandbox: JobHost,
    private readonly job: Job,
  ) {
    this.stdout = new CappedBuffer(job.limits.maxOutputBytes);
    this.stderr = new CappedBuffer(job.limits.maxOutputBytes);
  }

  collect(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const room = this[stream].room;
    if (this.job.onOutput && room > 0) this.job.onOutput(stream, chunk.subarray(0, room));
    if (!this[stream].push(chunk)) this.stop('output_limit');
  }

  startTimers(): void {
    const { limits, signal } = this.job;
    this.timers.push(setTimeout(() => this.stop('timeout'), limits.timeoutMs));
    this.timers.push(
      setInterval(() => {
        if (this.sandbox.cpuMs() > limits.cpuMs) this.stop('cpu');
      }, CPU_POLL_MS),
    );
    if (signal?.aborted) this.stop('cancelled');
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  stopTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.job.signal?.removeEventListener('abort', this.onAbort);
  }

  private stop(reason: KillReason): void {
    if (this.killedFor === null && !this.sandbox.exited) this.killedFor = reason;
    this.sandbox.kill();
  }
}
