/**
 * Streaming output: callbacks that receive text as it is produced (UTF-8 decoded across chunk borders),
 * and an async iterator built on them.
 */
import { StringDecoder } from 'node:string_decoder';
import type { RunResult } from './result.js';

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface OutputCallbacks {
  onStdout?: ((text: string) => void) | undefined;
  onStderr?: ((text: string) => void) | undefined;
}

/** Turns byte chunks into text for the callbacks; flush() at the end of a run. */
export class OutputDecoder {
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(private readonly callbacks: OutputCallbacks) {}

  get wanted(): boolean {
    return this.callbacks.onStdout !== undefined || this.callbacks.onStderr !== undefined;
  }

  write(stream: 'stdout' | 'stderr', bytes: Buffer): void {
    this.deliver(stream, this.decoders[stream].write(bytes));
  }

  flush(): void {
    this.deliver('stdout', this.decoders.stdout.end());
    this.deliver('stderr', this.decoders.stderr.end());
  }

  private deliver(stream: 'stdout' | 'stderr', text: string): void {
    if (text === '') return;
    if (stream === 'stdout') this.callbacks.onStdout?.(text);
    else this.callbacks.onStderr?.(text);
  }
}

/** A run whose output can be read as it comes (`for await`), and whose result settles at the end. */
export interface RunStream extends AsyncIterable<OutputChunk> {
  readonly result: Promise<RunResult>;
}

/** Starts `run` with callbacks feeding an async iterator; the iterator ends when the run does. */
export function streamRun(run: (callbacks: Required<OutputCallbacks>) => Promise<RunResult>): RunStream {
  const queue: OutputChunk[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  const push = (chunk: OutputChunk): void => {
    queue.push(chunk);
    wake?.();
  };
  const result = run({
    onStdout: (text) => push({ stream: 'stdout', text }),
    onStderr: (text) => push({ stream: 'stderr', text }),
  }).finally(() => {
    finished = true;
    wake?.();
  });
  return {
    result,
    async *[Symbol.asyncIterator](): AsyncGenerator<OutputChunk> {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
  };
}
