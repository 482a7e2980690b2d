/** Small I/O helpers for the CLI: reading whole files and streams, writing without losing output. */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { FileNotFoundError } from '../../errors.js';

/** Writes `text` and resolves once the stream took it (errors such as EPIPE are ignored: the reader left). */
export function writeText(stream: NodeJS.WritableStream, text: string | Uint8Array): Promise<void> {
  if (text.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

/** Reads a stream to its end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Reads a host file the user named on the command line, or fails with exit code 2 naming the option. */
export function readUserFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message;
    throw new FileNotFoundError(`cannot read ${what} ${path}: ${reason}`, { cause });
  }
}

/** The command's output on stdout. */
export const out = (text: string): Promise<void> => writeText(process.stdout, text);
/** A `scriptbox: ...` line on stderr. */
export const note = (text: string): Promise<void> => writeText(process.stderr, `scriptbox: ${text}\n`);
/** One JSON value on its own line on stdout. */
export const printJson = (value: unknown): Promise<void> => out(`${JSON.stringify(value)}\n`);

/** Commander argument parser for a whole number from 1. */
export function wholeNumber(value: string): number {
  if (!/^[1-9]\d*$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number from 1.');
  return Number(value);
}

/** The bytes for a script's stdin from `--stdin <path>` (`-`: our own stdin), or undefined without it. */
export async function stdinOption(value: string | undefined): Promise<Buffer | undefined> {
  if (value === undefined) return undefined;
  return value === '-' ? readAll(process.stdin) : readUserFile(value, '--stdin file');
}
