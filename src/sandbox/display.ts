/**
 * Reads a finished run's rich outputs: the JSON lines its runner (python.py, node.mjs, the session
 * runners) appended to `.scriptbox-run/outputs.jsonl` in the work dir: display items (matplotlib figures,
 * display(obj), a session cell's final value) and the uncaught error's name, value and traceback.
 *
 * The script could have written anything there, so the file is read as a hostile one: never through a
 * symlink (the directory and the file are each opened with O_NOFOLLOW and checked against their lstat),
 * only a regular file, at most `maxBytes` of it; each line is parsed and validated on its own (zod: the
 * item shapes of result-types.ts, image/png as base64, JSON nested at most MAX_JSON_DEPTH deep, so that
 * printing the result cannot overflow the stack) and a bad one is dropped and counted, never thrown.
 */
import { constants as C, lstatSync, type BigIntStats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { OutputItemSchema, type OutputItem, type RunError } from './result-types.js';

/** The display channel's directory in a run's work dir (hidden from file listings, like `.cache/`). */
export const RUN_DIR = '.scriptbox-run';
export const OUTPUTS_FILE = 'outputs.jsonl';

/** Most bytes of outputs.jsonl read by default: a few dozen large figures. */
export const DEFAULT_MAX_OUTPUTS_BYTES = 32 * 1_048_576;
/** Most display items kept; further ones are dropped (and counted). */
const MAX_ITEMS = 1_000;
/** Deepest nesting of a JSON line: deeper ones would overflow JSON.stringify when the result is printed. */
const MAX_JSON_DEPTH = 64;
/** Error fields are cut to these lengths (a message or traceback is for reading, not a payload). */
const ERROR_FIELD_MAX = { name: 200, value: 10_000, traceback: 200_000 } as const;

/** The script's uncaught error as its runner saw it. */
export interface ScriptError {
  name: string;
  value: string;
  traceback: string;
}

export interface RunDisplay {
  /** Valid display and result items, in the order they were written. */
  outputs: OutputItem[];
  /** The last error item, when the script ended with an uncaught error. */
  error: ScriptError | null;
  /** Lines dropped: not JSON, not a valid item, too deep, over the item count, or cut at the byte cap. */
  dropped: number;
  /** The file was longer than maxBytes: only its first maxBytes were read. */
  truncated: boolean;
  /** Why the file could not be read at all (a symlink, not a regular file...); null when read or absent. */
  unreadable: string | null;
}

export interface ReadDisplayOpts {
  /** Most bytes read from outputs.jsonl; the rest is ignored (and `truncated` set). */
  maxBytes?: number;
}

const ErrorItemSchema = z.object({
  type: z.literal('error'),
  name: z.string(),
  value: z.string(),
  traceback: z.string(),
});

const NO_DISPLAY: RunDisplay = { outputs: [], error: null, dropped: 0, truncated: false, unreadable: null };
const errCode = (err: unknown): string =>
  err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : String(err);

/**
 * Reads and validates the display channel of the run whose work dir is `workDir` (the host's path to it,
 * often `/proc/self/fd/N`, followed on purpose). Never throws for what the script did to the file.
 */
export async function readRunDisplay(workDir: string, opts: ReadDisplayOpts = {}): Promise<RunDisplay> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_OUTPUTS_BYTES;
  const read = await readCapped(workDir, maxBytes);
  if (read === null) return NO_DISPLAY;
  if (typeof read === 'string') return { ...NO_DISPLAY, unreadable: read };
  const lines = read.bytes.toString('utf8').split('\n');
  // The last piece has no newline: a line cut at the cap, or one the writer never finished.
  const unfinished = lines.pop() ?? '';
  const result: RunDisplay = { ...NO_DISPLAY, outputs: [], truncated: read.truncated };
  if (unfinished !== '') result.dropped++;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const item = parseLine(line);
    if (item === null) result.dropped++;
    else if ('name' in item) result.error = item;
    else if (result.outputs.length >= MAX_ITEMS) result.dropped++;
    else result.outputs.push(item);
  }
  return result;
}

/**
 * A runtime error with the script's own error: its name, value and traceback, and a message that says
 * `ZeroDivisionError: division by zero (the script exited with code 1)`. Other kinds (limits, syntax...)
 * stay as they are: a script killed at a limit did not fail with its exception.
 */
export function withScriptError(
  error: RunError | null,
  script: ScriptError | null,
  exit: { exitCode: number | null; signal: string | null },
): RunError | null {
  if (error === null || error.kind !== 'runtime' || script === null) return error;
  const firstLine = script.value.split('\n', 1)[0] ?? '';
  const said = firstLine === '' ? script.name : `${script.name}: ${firstLine}`;
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  return { ...error, message: `${cut(said, 500)} (the script ${how})`, ...script };
}

/** Says in the outputs themselves what of the display channel was left out, so nothing goes without a word. */
export function displayNotes(display: RunDisplay, maxBytes = DEFAULT_MAX_OUTPUTS_BYTES): OutputItem[] {
  const notes: string[] = [];
  if (display.unreadable !== null) notes.push(`rich outputs not read: ${display.unreadable}`);
  if (display.truncated) notes.push(`rich outputs past the first ${maxBytes} bytes were left out`);
  if (display.dropped > 0) {
    const what = display.dropped === 1 ? '1 rich output was' : `${display.dropped} rich outputs were`;
    notes.push(`${what} dropped (malformed, cut off, or over the limit of ${MAX_ITEMS} items)`);
  }
  return notes.map((note) => ({ type: 'display', data: { 'text/plain': `scriptbox: ${note}` } }));
}

function parseLine(line: string): OutputItem | ScriptError | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (jsonDepth(value) > MAX_JSON_DEPTH) return null;
  const error = ErrorItemSchema.safeParse(value);
  if (error.success) {
    const { name, value: message, traceback } = error.data;
    return {
      name: cut(name, ERROR_FIELD_MAX.name),
      value: cut(message, ERROR_FIELD_MAX.value),
      traceback: cut(traceback, ERROR_FIELD_MAX.traceback),
    };
  }
  const item = OutputItemSchema.safeParse(value);
  return item.success ? item.data : null;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** How deeply `value` nests arrays and objects, counted without recursion (so without a stack to blow). */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

type Capped = { bytes: Buffer; truncated: boolean };

/**
 * The first `maxBytes` of `<workDir>/.scriptbox-run/outputs.jsonl`; null when there is none; a string
 * saying why when something else is in its place.
 */
async function readCapped(workDir: string, maxBytes: number): Promise<Capped | string | null> {
  // Most runs show nothing: one synchronous lstat says so without a trip through the thread pool.
  if (!existsNoFollow(`${workDir}/${RUN_DIR}`)) return null;
  const dir = await openChecked(`${workDir}/${RUN_DIR}`, 'directory');
  if (dir === null || typeof dir === 'string') return dir;
  try {
    const file = await openChecked(`/proc/self/fd/${dir.fd}/${OUTPUTS_FILE}`, 'file');
    if (file === null || typeof file === 'string') return file;
    try {
      const size = Number((await file.stat()).size);
      const bytes = Buffer.alloc(Math.min(size, maxBytes));
      let filled = 0;
      while (filled < bytes.length) {
        const { bytesRead } = await file.read(bytes, filled, bytes.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { bytes: bytes.subarray(0, filled), truncated: size > maxBytes };
    } finally {
      await file.close();
    }
  } finally {
    await dir.close();
  }
}

/**
 * Opens `path` if it is a `kind` (never a symlink: lstat first, O_NOFOLLOW, then the fd must be the same
 * inode lstat saw); null when nothing is there, a string saying why when it is something else.
 */
async function openChecked(path: string, kind: 'directory' | 'file'): Promise<FileHandle | string | null> {
  const name = kind === 'directory' ? RUN_DIR : `${RUN_DIR}/${OUTPUTS_FILE}`;
  let st: BigIntStats;
  try {
    st = await lstat(path, { bigint: true });
  } catch (err) {
    const code = errCode(err);
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : `${name}: cannot lstat (${code})`;
  }
  const isKind = (s: BigIntStats): boolean => (kind === 'directory' ? s.isDirectory() : s.isFile());
  if (!isKind(st)) return `${name} is a ${kindOf(st)}, not a ${kind === 'file' ? 'regular file' : kind}`;
  const flags =
    C.O_RDONLY | C.O_NOFOLLOW | (kind === 'directory' ? C.O_DIRECTORY : C.O_NONBLOCK | C.O_NOCTTY);
  let fh: FileHandle;
  try {
    fh = await open(path, flags);
  } catch (err) {
    return `${name}: cannot open (${errCode(err)})`;
  }
  const opened = await fh.stat({ bigint: true }).catch(() => null);
  if (opened !== null && isKind(opened) && opened.dev === st.dev && opened.ino === st.ino) return fh;
  await fh.close();
  return `${name} changed between lstat and open`;
}

function kindOf(st: BigIntStats): string {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'regular file';
  return st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'special file';
}

/** Whether anything (even a dangling link) is at `path`, without following it. */
function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
