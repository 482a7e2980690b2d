/**
 * Session tools: a sandbox that keeps its work dir across runs (upload a table once, run many scripts on
 * it). Sessions belong to the principal that created them: another principal's calls cannot see or use
 * them, and each principal may hold a bounded number at once.
 */
import { z } from 'zod';
import { RunChecksSchema } from '../check/index.js';
import type { Engine } from '../engine/engine.js';
import {
  base64Check,
  decodeContent,
  decodeFile,
  EncodedFileSchema,
  encodedFilesOf,
  TextStdinSchema,
} from '../engine/options.js';
import { OutputFileInfoSchema, RunResultSchema } from '../engine/result.js';
import { SessionOptsSchema, SessionRunOptsSchema, type Session } from '../engine/session.js';
import { SessionGoneError, SessionTombstones } from '../engine/session-tombstones.js';
import { InvalidOptionsError, ScriptboxError } from '../errors.js';
import type { Principal } from '../access/guard-types.js';
import { checkedRun } from '../workflows/checked-run.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { RUN_TOOL_TIMEOUT_MS } from './builtin-run.js';
import { runText } from './text.js';
import { defineTool, type Tool } from './types.js';

export const DEFAULT_MAX_SESSIONS_PER_PRINCIPAL = 8;
/** Most bytes session_read_file returns (a tool result travels as JSON). */
export const MAX_READ_BYTES = 4 * 1_048_576;

const ownerOf = (principal: Principal | undefined): string =>
  principal ? `${principal.tokenId ?? ''}\n${principal.name}` : '\n(in-process)';

/** The open sessions, by id, with their owners. Owned by the tools; close() ends them all. */
export class SessionStore {
  private readonly sessions = new Map<string, { session: Session; owner: string }>();
  /** Sessions that ended: a call to one says when and why (SESSION_CLOSED), not "no such session". */
  private readonly tombstones = new SessionTombstones();

  constructor(
    private readonly engine: Engine,
    private readonly maxPerOwner: number,
  ) {}

  async create(
    principal: Principal | undefined,
    opts: Parameters<Engine['createSession']>[0],
  ): Promise<Session> {
    const owner = ownerOf(principal);
    const held = [...this.sessions.values()].filter(
      (entry) => entry.owner === owner && !entry.session.closed,
    );
    if (held.length >= this.maxPerOwner) {
      // As the HTTP API says it: a limit on the caller, not a bad argument.
      throw new ScriptboxError(
        'RATE_LIMITED',
        `${held.length} sessions are open for this caller (the most this server allows); close one with session_close`,
      );
    }
    const session = await this.engine.createSession(opts);
    this.sessions.set(session.id, { session, owner });
    return session;
  }

  /** The caller's open session `id`, or SESSION_NOT_FOUND (the same for someone else's session). */
  get(principal: Principal | undefined, id: string): Session {
    const entry = this.sessions.get(id);
    if (entry?.session.closed) {
      this.sessions.delete(id);
      this.tombstones.record(entry.session.info(), entry.owner);
    }
    const gone = this.tombstones.find(id, ownerOf(principal));
    if (gone !== undefined) throw new SessionGoneError(gone, 'session_create');
    if (!entry || entry.session.closed || entry.owner !== ownerOf(principal)) {
      throw new ScriptboxError(
        'SESSION_NOT_FOUND',
        `no open session ${id} (it closed, or was never yours); create one with session_create`,
      );
    }
    return entry.session;
  }

  async close(principal: Principal | undefined, id: string): Promise<void> {
    const session = this.get(principal, id);
    this.sessions.delete(id);
    await session.close();
    this.tombstones.record(session.info(), ownerOf(principal));
  }

  async closeAll(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(open.map((entry) => entry.session.close('the tools closed')));
  }
}

const SessionId = z.object({ sessionId: z.uuid().describe('The id session_create returned') }).strict();

export function sessionTools(deps: BuiltinToolDeps, store: SessionStore): Tool[] {
  const create = defineTool({
    name: 'session_create',
    title: 'Start a session',
    description:
      'Starts a session: a sandbox of its own whose work dir and state (variables, imports, definitions; ' +
      'for bash the shell) persist across session_run calls, like a notebook kernel (python, javascript, ' +
      "typescript, bash; state: 'fresh' for a fresh process per run). A run that crashes or hits a limit " +
      'leaves the state as it was. Close it with session_close; it also closes after being idle.',
    input: SessionOptsSchema.pick({
      language: true,
      state: true,
      preload: true,
      limits: true,
      idleTimeoutMs: true,
      network: true,
    }).extend({
      files: encodedFilesOf(SessionOptsSchema.shape.files),
    }),
    output: z.object({ sessionId: z.string(), language: z.string() }),
    annotations: { readOnly: false, idempotent: false },
    metered: { cpuMs: () => 0 },
    network: (input) => input.network?.allow ?? [],
    handler: async ({ files, ...opts }, { principal, signal }) => {
      const session = await store.create(principal, { ...opts, files: files?.map(decodeFile), signal });
      return { sessionId: session.id, language: session.runtime.name };
    },
  });

  const upload = defineTool({
    name: 'session_upload',
    title: 'Upload a file into a session',
    description: "Writes a file into the session's work dir (a relative path; it stays for later runs).",
    input: SessionId.extend(EncodedFileSchema.shape).superRefine(base64Check),
    output: z.object({ name: z.string(), bytes: z.number().int() }),
    annotations: { readOnly: false, idempotent: true },
    handler: async ({ sessionId, ...file }, { principal }) => {
      const content = decodeContent(file);
      await store.get(principal, sessionId).uploadFile(file.name, content);
      return { name: file.name, bytes: Buffer.byteLength(content) };
    },
  });

  const list = defineTool({
    name: 'session_list_files',
    title: 'List the files of a session',
    description: "Every regular file in the session's work dir, with its size.",
    input: SessionId,
    output: z.object({ files: z.array(OutputFileInfoSchema) }),
    annotations: { readOnly: true, idempotent: true },
    text: ({ files }) => files.map((f) => `${f.path}  ${f.bytes} bytes`).join('\n') || 'no files',
    handler: async ({ sessionId }, { principal }) => ({
      files: await store.get(principal, sessionId).listFiles(),
    }),
  });

  const read = defineTool({
    name: 'session_read_file',
    title: 'Read a file of a session',
    description: `Reads a file of the session's work dir (at most ${MAX_READ_BYTES} bytes); text as is, other bytes as base64.`,
    input: SessionId.extend({
      name: z.string().min(1).max(4096).describe('Path in the work dir, like out/plot.png'),
    }),
    output: z.object({
      name: z.string(),
      bytes: z.number().int(),
      encoding: EncodedFileSchema.shape.encoding,
      content: EncodedFileSchema.shape.content,
    }),
    annotations: { readOnly: true, idempotent: true },
    text: (file) =>
      file.encoding === 'utf8' ? file.content : `${file.name}: ${file.bytes} bytes (base64 in the result)`,
    handler: async ({ sessionId, name }, { principal }) => {
      const data = await store.get(principal, sessionId).readFile(name);
      if (data.length > MAX_READ_BYTES) {
        const issue = `name: ${name} is ${data.length} bytes; session_read_file returns at most ${MAX_READ_BYTES}`;
        throw new InvalidOptionsError(issue, [issue]);
      }
      let text: string | null = null;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(data);
      } catch {
        text = null;
      }
      const encoding = text === null ? ('base64' as const) : ('utf8' as const);
      return { name, bytes: data.length, encoding, content: text ?? data.toString('base64') };
    },
  });

  const run = defineTool({
    name: 'session_run',
    title: 'Run code in a session',
    description: 'Runs a script in the session (its work dir and files persist); same result as run_code.',
    input: SessionId.extend({
      source: SessionRunOptsSchema.shape.source,
      stdin: TextStdinSchema.optional(),
      env: SessionRunOptsSchema.shape.env,
      limits: SessionRunOptsSchema.shape.limits,
      checks: RunChecksSchema,
    }),
    output: RunResultSchema,
    annotations: { readOnly: false, idempotent: false },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    metered: { cpuMs: (result) => result.usage.cpuMs },
    text: runText,
    handler: async ({ sessionId, source, stdin, env, limits, checks }, { principal, signal, onNetwork }) => {
      const session = store.get(principal, sessionId);
      const language = session.runtime.name;
      return checkedRun({
        language,
        source,
        policy: checks,
        run: () => session.run({ source, stdin, env, limits, signal, onNetwork }),
      });
    },
  });

  const close = defineTool({
    name: 'session_close',
    title: 'Close a session',
    description: 'Ends a session: its sandbox and work dir are destroyed.',
    input: SessionId,
    output: z.object({ closed: z.boolean() }),
    annotations: { readOnly: false, idempotent: false },
    handler: async ({ sessionId }, { principal }) => {
      await store.close(principal, sessionId);
      return { closed: true };
    },
  });

  return [create, upload, list, read, run, close];
}
