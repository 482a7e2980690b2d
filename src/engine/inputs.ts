/** Input files for a run: host paths are opened here (so the sandbox never sees the host path). */
import { closeSync, fstatSync, openSync, constants } from 'node:fs';
import { basename } from 'node:path';
import { FileNotFoundError, InvalidOptionsError } from '../errors.js';
import { RUN_DIR } from '../sandbox/display.js';
import type { ResolvedInput } from '../sandbox/job.js';
import type { InputFile } from './options.js';

// What the sandbox takes (sandbox/job.ts); the fds are closed by closeInputs.
export type { ResolvedInput } from '../sandbox/job.js';

// `.scriptbox-run/` is the runner's display channel (sandbox/display.ts).
const RESERVED = new Set(['out', '.', '..', RUN_DIR]);

/** Validates names and opens host files read-only; on any failure nothing stays open. */
export function resolveInputs(files: InputFile[], scriptFile: string): ResolvedInput[] {
  const resolved: ResolvedInput[] = [];
  try {
    for (const file of files) {
      const name = 'path' in file ? basename(file.path) : file.name;
      checkName(name, scriptFile, resolved);
      resolved.push({ name, data: 'path' in file ? openRegularFile(file.path) : file.content });
    }
  } catch (err) {
    closeInputs(resolved);
    throw err;
  }
  return resolved;
}

export function closeInputs(inputs: ResolvedInput[]): void {
  for (const input of inputs) if (typeof input.data === 'number') closeSync(input.data);
}

function checkName(name: string, scriptFile: string, taken: ResolvedInput[]): void {
  const problem =
    name.length === 0 || name.includes('/') || name.includes('\0')
      ? 'must be a plain file name'
      : RESERVED.has(name) || name === scriptFile
        ? 'is reserved in the work directory'
        : taken.some((input) => input.name === name)
          ? 'is given twice'
          : null;
  if (problem) {
    const issue = `files: input file name "${name}" ${problem}; rename the file`;
    throw new InvalidOptionsError(issue, [issue]);
  }
}

function openRegularFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new FileNotFoundError(`cannot read input file ${path}: ${(cause as Error).message}`, { cause });
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new FileNotFoundError(
      `input file ${path} is not a regular file; give a file, not a directory or device`,
    );
  }
  return fd;
}

/** Most bytes of input files sent with a job rather than mounted into a sandbox started for the run. */
const CARRIED_FILES_MAX_BYTES = 1_048_576;

/** The inputs as files a job carries, or null when one is a host file or they are too big for that. */
export function carriedFiles(
  inputs: ResolvedInput[],
): Array<{ name: string; content: string | Uint8Array }> | null {
  let bytes = 0;
  const files: Array<{ name: string; content: string | Uint8Array }> = [];
  for (const input of inputs) {
    if (typeof input.data === 'number') return null;
    bytes += Buffer.byteLength(input.data);
    files.push({ name: input.name, content: input.data });
  }
  return bytes <= CARRIED_FILES_MAX_BYTES ? files : null;
}
