/**
 * What a session says about itself (Session.info()): one zod schema, shown as is by the library API and
 * the HTTP face (GET /v1/sessions, documented in /openapi.json from this schema).
 */
import { z } from 'zod';

export const SESSION_STATE_MODES = ['stateful', 'fresh'] as const;
export type SessionStateMode = (typeof SESSION_STATE_MODES)[number];

const isoTime = (what: string) => z.string().describe(`${what} (ISO 8601, UTC)`);

export const SessionUsageSchema = z
  .object({
    runs: z.number().int().min(0).describe('Runs finished in this session'),
    cpuMs: z.number().min(0).describe('CPU time of those runs together'),
    wallMs: z.number().min(0).describe('Wall-clock time of those runs together'),
    workDirBytes: z
      .number()
      .int()
      .min(0)
      .nullable()
      .describe(
        'Bytes the work dir holds now, runtime caches included (its own size-capped filesystem); null ' +
          'when it cannot be measured',
      ),
  })
  .describe('What the session has used so far');
export type SessionUsage = z.infer<typeof SessionUsageSchema>;

export const SessionEndSchema = z
  .object({
    at: isoTime('When it ended'),
    reason: z.string().describe('Why: closed by its owner, idle for N ms, its sandbox exited, ...'),
    expired: z.boolean().describe('True when its idle timeout ended it'),
  })
  .describe('How the session ended');
export type SessionEnd = z.infer<typeof SessionEndSchema>;

export const SessionInfoSchema = z
  .object({
    id: z.string().describe('The session id'),
    language: z.string().describe('The runtime of the session'),
    state: z
      .enum(SESSION_STATE_MODES)
      .describe(
        "'stateful': variables, imports and definitions carry over from run to run; 'fresh': each run " +
          'starts from a fresh process (the work dir persists either way)',
      ),
    status: z
      .enum(['idle', 'running', 'closed'])
      .describe("'running' while a run is under way or waiting in the session's queue"),
    createdAt: isoTime('When the session started'),
    lastUsedAt: isoTime('When its last call (run, upload, listing, download) ended'),
    idleTimeoutMs: z.number().int().describe('The session closes after this long without a call'),
    expiresAt: z
      .string()
      .nullable()
      .describe(
        'When it closes unless called again (ISO 8601, UTC); null while a call is under way (the idle ' +
          'clock restarts when it ends) and once closed',
      ),
    usage: SessionUsageSchema,
    ended: SessionEndSchema.optional().describe('Present once the session has ended'),
  })
  .describe('A session: its language and state mode, times, idle expiry and usage');
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/** The work-dir entries runtimes write for themselves (font caches, the display channel): never listed. */
export const HIDDEN_WORK_DIRS = ['.cache', '.scriptbox-run'] as const;

/** True for a work-dir path under one of HIDDEN_WORK_DIRS. */
export function isHiddenWorkPath(path: string): boolean {
  return HIDDEN_WORK_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`));
}
