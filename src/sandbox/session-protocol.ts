/**
 * The session protocol, host side: what the host sends the session supervisor (runners/session.py) as
 * `<length>\n<json>` frames on FD.go, and the events it answers with as JSON lines on FD.status. Runs never
 * hold either pipe, so every event here comes from the trusted supervisor; anything that does not parse is
 * dropped.
 */
import { z } from 'zod';
import { RUN_DIR } from './display.js';

/** Upload chunks stay small, so neither side ever holds a whole large file in one frame. */
export const UPLOAD_CHUNK_BYTES = 1_048_576;

const RunId = z.number().int();

export const SessionEventSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('ready'),
    preloadFailed: z.array(z.string()),
    /** Stateful sessions: the tasks (threads) of the state holder, which stay between runs. */
    stateTasks: z.number().int().min(0).optional(),
  }),
  z.object({ event: z.literal('started'), id: RunId }),
  z.object({
    event: z.literal('syntax'),
    id: RunId,
    line: z.number().int(),
    column: z.number().int(),
    message: z.string(),
  }),
  z.object({
    event: z.literal('exit'),
    id: RunId,
    code: z.number().int().nullable(),
    signal: z.string().nullable(),
    token: z.string().regex(/^[0-9a-f]{32}$/),
    error: z.string().optional(),
    /** Stateful sessions: what became of the session's state (RunResult.state). */
    state: z.enum(['updated', 'kept', 'reset']).optional(),
    stateTasks: z.number().int().min(0).optional(),
  }),
  z.object({
    event: z.literal('put'),
    id: RunId,
    ok: z.boolean(),
    error: z.string().optional(),
    temporary: z.string().optional(),
  }),
  z.object({ event: z.literal('error'), message: z.string() }),
]);
export type SessionEvent = z.infer<typeof SessionEventSchema>;

/** A frame the host sends. */
export type SessionFrame =
  | {
      op: 'run';
      id: number;
      file: string;
      source: string;
      stdin: string;
      /** The run's extra environment variables (validated: script-env.ts). */
      env: Record<string, string>;
      /** Its command-line arguments after the script's name. */
      args: string[];
    }
  | {
      op: 'put';
      id: number;
      name: string;
      data: string;
      append: boolean;
      last: boolean;
      temporary?: string;
    }
  | { op: 'kill' };

/** One event line, or null when it is not one the protocol knows. */
export function parseSessionEvent(line: string): SessionEvent | null {
  try {
    const parsed = SessionEventSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The bytes of one frame. */
export function encodeFrame(frame: SessionFrame): Buffer {
  const body = Buffer.from(JSON.stringify(frame), 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

const MAX_NAME_BYTES = 4_096;
const MAX_PART_BYTES = 255;

/**
 * Why `name` cannot be a file in a session's work dir, in words a user can act on; null when it can.
 * A plain relative path: no empty, `.` or `..` parts, no control characters, valid UTF-8, within
 * the file system's length limits.
 */
export function workDirNameProblem(name: string): string | null {
  if (name === '') return 'the name is empty';
  if (/[\uD800-\uDFFF]/u.test(name)) return 'the name is not valid UTF-8 (it has a lone surrogate)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'the name has control characters';
  if (name.startsWith('/')) return 'the name is an absolute path: give a path relative to the work dir';
  const parts = name.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..'))
    return 'the name has an empty, "." or ".." part: give a plain relative path like data/table.csv';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `the name is longer than ${MAX_NAME_BYTES} bytes`;
  if (parts[0] === RUN_DIR) return `${RUN_DIR} is where a run's rich outputs go: give another name`;
  if (parts.some((part) => Buffer.byteLength(part) > MAX_PART_BYTES))
    return `a part of the name is longer than ${MAX_PART_BYTES} bytes`;
  return null;
}
