/**
 * A session: one sandbox of its own that lives across runs, like a notebook kernel. Its work dir persists
 * (upload a CSV once, run many scripts on it). Stateful (the default), runs keep their state — the
 * supervisor's state holder (runners/session.py): only a run that finishes becomes the state. Fresh,
 * Python sessions fork each run from an interpreter with `preload` already imported and other languages
 * start a fresh interpreter per run. Runs are queued and run one at a time, each with its own limits; a
 * run that fails, crashes or is killed leaves the session usable. Sessions close on close(), after an
 * idle timeout, or when their engine closes.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { statfsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FileNotFoundError, InvalidOptionsError, ScriptboxError } from '../errors.js';
import { collectOutputs, prepareDestDir, readFileSafely } from '../sandbox/outputs.js';
import { globalizeAsyncCell } from '../sandbox/runtimes/async-cell.js';
import { prepareSource } from '../sandbox/runtimes/prepare.js';
import { refuseRuntimeEnv } from '../sandbox/script-env.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { UPLOAD_CHUNK_BYTES, workDirNameProblem, type SessionEvent } from '../sandbox/session-protocol.js';
import {
  isHiddenWorkPath,
  SESSION_STATE_MODES,
  type SessionInfo,
  type SessionStateMode,
} from './session-info.js';
import {
  InputFileSchema,
  ModuleNameSchema,
  PartialLimitsSchema,
  RunOptsSchema,
  StreamCallbacksShape,
  type Limits,
} from './options.js';
import { parseOptions } from '../parse-options.js';
import type { OutputFileInfo, RunResult } from './result.js';
import type { SandboxEgress } from './egress.js';
import { reportRun, type EngineEventEmitter } from './events.js';
import { changedSince, snapshotOut } from './out-snapshot.js';
import { SessionRun } from './session-run.js';
import { OutputDecoder, streamRun, type RunStream } from './stream.js';
import { baseResult, toResult, withNetwork } from './to-result.js';

type PutEvent = Extract<SessionEvent, { event: 'put' }>;

export const DEFAULT_SESSION_IDLE_MS = 600_000;
// Defined with the session's description (session-info.ts), which reports the mode.
export { SESSION_STATE_MODES, type SessionStateMode } from './session-info.js';
const MAX_FILE_READ_BYTES = 256 * 1_048_576;

export const SessionOptsSchema = z
  .object({
    language: z
      .string()
      .min(1)
      .describe('python, javascript, typescript or bash (sessions need a resident runner)'),
    state: z
      .enum(SESSION_STATE_MODES)
      .optional()
      .describe(
        'stateful (default): runs keep their state like a notebook kernel — variables, imports, definitions ' +
          '(Python, JavaScript, TypeScript), the working directory, variables and functions (bash); a run ' +
          'killed by a limit or a crash leaves the state as it was before it. fresh: every run starts in a ' +
          'fresh process (pipelines)',
      ),
    preload: z
      .array(ModuleNameSchema)
      .optional()
      .describe('Python modules imported once when the session starts, so runs do not pay for them'),
    limits: PartialLimitsSchema.optional().describe('Default limits for the runs of this session'),
    files: z
      .array(InputFileSchema)
      .optional()
      .describe('Files placed read-only in the work dir at the start'),
    idleTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(86_400_000)
      .optional()
      .describe(`Close the session after this long without a call (default ${DEFAULT_SESSION_IDLE_MS} ms)`),
    signal: z
      .instanceof(AbortSignal)
      .optional()
      .describe(
        'Aborting it while the session starts destroys its sandbox; createSession then rejects with ' +
          'code CANCELLED (no effect on a session already returned)',
      ),
    network: RunOptsSchema.shape.network.describe(
      "Network for every run of the session, through one egress proxy of its own (within the engine's " +
        'network policy, else NetworkNotPermittedError); default none',
    ),
  })
  .strict();
export type SessionOpts = z.input<typeof SessionOptsSchema>;

export const SessionRunOptsSchema = z
  .object({
    source: RunOptsSchema.shape.source,
    stdin: RunOptsSchema.shape.stdin,
    env: RunOptsSchema.shape.env,
    args: RunOptsSchema.shape.args,
    files: z
      .array(InputFileSchema)
      .optional()
      .describe('Files written into the work dir before this run (they stay for later runs)'),
    limits: PartialLimitsSchema.optional().describe("This run's limits; unset ones come from the session"),
    outDir: z.string().optional().describe('Host directory to copy the files under out/ into'),
    inlineFiles: RunOptsSchema.shape.inlineFiles,
    signal: z.instanceof(AbortSignal).optional().describe('Aborting it cancels the run (the session stays)'),
    ...StreamCallbacksShape,
  })
  .strict();
export type SessionRunOpts = z.input<typeof SessionRunOptsSchema>;

/** The session is closed (by close(), its idle timeout, its engine, or its sandbox dying). */
export class SessionClosedError extends ScriptboxError {
  constructor(reason: string) {
    super(
      'SESSION_CLOSED',
      `this session is closed (${reason}); create a new one with engine.createSession()`,
    );
  }
}

/** Reads a host file the caller named, or says which one could not be read. */
async function readHostFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new FileNotFoundError(`cannot read input file ${path}: ${(cause as Error).message}`, { cause });
  }
}

export class Session {
  readonly id = randomUUID();
  private queue: Promise<unknown> = Promise.resolve();
  private current: SessionRun | null = null;
  private pendingPuts = new Map<number, (event: PutEvent) => void>();
  private nextId = 1;
  private closedReason: string | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  /** Tasks in the session's cgroup once its supervisor is ready (and idle). */
  private readonly idleTasks: number;
  // What info() reports: times (ms since the epoch) and what the finished runs used.
  private readonly createdAt = Date.now();
  private lastUsedAt = this.createdAt;
  private ended: { at: number; expired: boolean } | null = null;
  private runsUnderWay = 0;
  private readonly used = { runs: 0, cpuMs: 0, wallMs: 0 };

  constructor(
    private readonly sandbox: Sandbox,
    readonly runtime: RuntimeSpec,
    private readonly limits: Limits,
    private readonly idleTimeoutMs: number,
    private readonly events: EngineEventEmitter,
    private readonly onClosed: (session: Session, done: Promise<void>) => void,
    /** The session's egress proxy when it was granted network (closed with its sandbox); a report per run. */
    private readonly egress: SandboxEgress | null = null,
    /** Whether runs keep their state (the supervisor's state holder) or each starts fresh. */
    readonly stateMode: SessionStateMode = 'fresh',
  ) {
    this.idleTasks = sandbox.cgroup?.processCount() ?? 0;
    sandbox.attachSession({
      onEvent: (event) => this.onEvent(event),
      onOutput: (stream, chunk) => this.current?.onOutput(stream, chunk),
      onExit: () => {
        this.current?.onSandboxExit();
        void this.close('its sandbox exited');
      },
    });
    this.touch();
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Runs one script in this session (queued behind earlier calls); same result as engine.run. */
  run(opts: SessionRunOpts): Promise<RunResult> {
    const parsed = parseOptions(SessionRunOptsSchema, opts, 'session run options');
    refuseRuntimeEnv(parsed.env, this.runtime);
    this.runsUnderWay += 1;
    const done = this.enqueue(() =>
      reportRun(this.events, this.runtime.name, parsed.source, this.id, (runId) =>
        this.runNow(parsed, runId),
      ),
    );
    // Counted before the caller sees the result (this callback was attached first).
    done.then(
      (result) => {
        this.runsUnderWay -= 1;
        this.used.runs += 1;
        this.used.cpuMs += result.usage.cpuMs;
        this.used.wallMs += result.usage.wallMs;
      },
      () => void (this.runsUnderWay -= 1),
    );
    return done;
  }

  /** Like run(), with the output also readable as it comes: `for await (const chunk of stream)`. */
  stream(opts: Omit<SessionRunOpts, 'onStdout' | 'onStderr'>): RunStream {
    return streamRun((callbacks) => this.run({ ...opts, ...callbacks }));
  }

  /** Writes a file into the session's work dir (a plain relative path; parents are created). */
  uploadFile(name: string, content: string | Uint8Array): Promise<void> {
    return this.enqueue(() => this.put(name, content));
  }

  /** Every regular file in the work dir, with its size (symlinks and special files are not listed). */
  listFiles(): Promise<OutputFileInfo[]> {
    return this.enqueue(async () => {
      // `/.`: the work dir itself, not the /proc/self/fd link the host holds it by.
      const listing = await collectOutputs(`${this.sandbox.workDir}/.`, {
        maxFiles: 100_000,
        maxBytes: Number.MAX_SAFE_INTEGER,
      });
      // Runtime caches (fontconfig's ~/.cache) and the runner's display channel are not the user's files.
      return listing.files.filter((file) => !isHiddenWorkPath(file.path));
    });
  }

  /** Reads a file of the work dir without following any symlink. */
  readFile(name: string): Promise<Buffer> {
    return this.enqueue(() => readFileSafely(this.sandbox.workDir, name, MAX_FILE_READ_BYTES));
  }

  /** Its language, state mode, times, idle expiry and usage; also once closed (then with `ended`). */
  info(): SessionInfo {
    const iso = (ms: number): string => new Date(ms).toISOString();
    const state = this.stateMode;
    const waiting = this.idleTimer !== null && this.closedReason === null;
    return {
      id: this.id,
      language: this.runtime.name,
      state,
      status: this.closedReason !== null ? 'closed' : this.runsUnderWay > 0 ? 'running' : 'idle',
      createdAt: iso(this.createdAt),
      lastUsedAt: iso(this.lastUsedAt),
      idleTimeoutMs: this.idleTimeoutMs,
      expiresAt: waiting ? iso(this.lastUsedAt + this.idleTimeoutMs) : null,
      usage: { ...this.used, workDirBytes: this.closedReason === null ? this.workDirBytes() : null },
      ...(this.ended && this.closedReason !== null
        ? { ended: { at: iso(this.ended.at), reason: this.closedReason, expired: this.ended.expired } }
        : {}),
    };
  }

  /** Ends the session: a run in progress is cancelled, the sandbox destroyed. Idempotent. */
  close(reason = 'closed by its owner'): Promise<void> {
    this.closing ??= (async () => {
      this.closedReason = reason;
      this.ended ??= { at: Date.now(), expired: false };
      if (this.idleTimer) clearTimeout(this.idleTimer);
      for (const [id, answer] of this.pendingPuts)
        answer({ event: 'put', id, ok: false, error: 'the session closed' });
      this.pendingPuts.clear();
      this.sandbox.kill();
      await this.sandbox.destroy();
    })();
    this.onClosed(this, this.closing);
    return this.closing;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      if (this.closedReason !== null) throw new SessionClosedError(this.closedReason);
      // A call under way is not idleness: a run longer than the idle timeout must not close its session.
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = null;
      try {
        return await work();
      } finally {
        this.touch();
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(opts: z.output<typeof SessionRunOptsSchema>, runId: string): Promise<RunResult> {
    const limits: Limits = { ...this.limits, ...opts.limits };
    // Until the run ends, the state is what it was (a stateful session's) or there is none to keep.
    const base: RunResult = {
      ...baseResult(this.runtime.name, opts.source),
      state: this.stateMode === 'fresh' ? 'fresh' : 'kept',
    };
    let code = opts.source;
    let file = `main${this.runtime.extensions[0] ?? ''}`;
    if (this.runtime.prepare) {
      const prepared = prepareSource(this.runtime.prepare, opts.source);
      if (!prepared.ok) return { ...base, error: prepared.error };
      code = prepared.prepared.code;
      file = prepared.prepared.fileName;
      // A stateful cell with a top-level await keeps its declarations (see async-cell.ts).
      if (this.stateMode === 'stateful') code = globalizeAsyncCell(code) ?? code;
    }
    if (opts.outDir !== undefined) await prepareDestDir(opts.outDir);
    for (const input of opts.files ?? []) {
      if ('path' in input) await this.put(basename(input.path), await readHostFile(input.path));
      else await this.put(input.name, input.content);
    }
    // Cancelled before it started: not sent at all (the supervisor's kill reaches only a run under way).
    if (opts.signal?.aborted) {
      return { ...base, error: { kind: 'cancelled', message: 'the run was cancelled before it started' } };
    }
    const cgroup = this.sandbox.cgroup;
    if (!cgroup) throw new SessionClosedError('it has no cgroup');
    // Limits relative to what the idle runner holds: the run gets its own allowance on top.
    cgroup.setLimits({
      memoryBytes: cgroup.memoryBytes() + limits.memoryMb * 1_048_576,
      maxProcesses: cgroup.processCount() + limits.maxProcesses,
    });
    cgroup.startAccounting();
    const id = this.nextId++;
    const decoder = new OutputDecoder(opts);
    // The supervisor holds the same tasks at every idle point (itself, its nursery, one spare namespace).
    const idleTasks = Math.max(this.idleTasks, cgroup.processCount());
    const stateBase =
      this.stateMode === 'stateful' ? this.idleTasks - (this.sandbox.readyEvent?.stateTasks ?? 0) : null;
    const run = new SessionRun(id, limits, cgroup, idleTasks, stateBase, opts.signal, {
      kill: () => this.sandbox.send({ op: 'kill' }),
      abandon: () => void this.close('its runner stopped answering'),
      ...(decoder.wanted ? { onOutput: (stream, bytes) => decoder.write(stream, bytes) } : {}),
    });
    this.current = run;
    this.egress?.beginRun(runId, this.id, opts.onNetwork);
    const stdin = opts.stdin === undefined ? '' : Buffer.from(opts.stdin).toString('base64');
    const source = Buffer.from(code).toString('base64');
    // A stateful session keeps out/: its result lists what this run wrote there.
    const outBefore = this.stateMode === 'stateful' ? await snapshotOut(this.sandbox.workDir) : null;
    this.sandbox.send({ op: 'run', id, file, source, stdin, env: opts.env ?? {}, args: opts.args ?? [] });
    try {
      await run.done;
    } finally {
      this.current = null;
      decoder.flush();
    }
    const report = this.egress?.report() ?? null;
    const result = await toResult(base, run.outcome(this.sandbox.diskFull), limits, {
      workDir: this.sandbox.workDir,
      outDir: opts.outDir,
      inline: opts.inlineFiles,
      ...(outBefore !== null ? { only: changedSince(outBefore) } : {}),
    });
    if (this.stateMode === 'stateful') result.state = run.state ?? 'kept';
    return withNetwork(result, report);
  }

  /**
   * Writes `content` to `name` in the work dir in chunks (neither side holds a large file in one frame);
   * the supervisor writes a temporary file and renames it into place with the last chunk, so a failed
   * upload leaves nothing half-written.
   */
  private async put(name: string, content: string | Uint8Array): Promise<void> {
    const refuse = (why: string): never => {
      const problem = `cannot upload ${JSON.stringify(name)}: ${why}`;
      throw new InvalidOptionsError(problem, [problem]);
    };
    const badName = workDirNameProblem(name);
    if (badName !== null) refuse(badName);
    const bytes = Buffer.from(content);
    let temporary: string | undefined;
    for (let offset = 0; offset === 0 || offset < bytes.length; offset += UPLOAD_CHUNK_BYTES) {
      const id = this.nextId++;
      const answer = new Promise<PutEvent>((resolve) => this.pendingPuts.set(id, resolve));
      const last = offset + UPLOAD_CHUNK_BYTES >= bytes.length;
      const data = bytes.subarray(offset, offset + UPLOAD_CHUNK_BYTES).toString('base64');
      this.sandbox.send({
        op: 'put',
        id,
        name,
        data,
        append: temporary !== undefined,
        last,
        ...(temporary !== undefined ? { temporary } : {}),
      });
      const event = await answer;
      if (!event.ok) refuse(event.error ?? 'the session could not write it');
      temporary = event.temporary;
    }
  }

  private onEvent(event: SessionEvent): void {
    if (event.event === 'put') {
      this.pendingPuts.get(event.id)?.(event);
      this.pendingPuts.delete(event.id);
      return;
    }
    this.current?.onEvent(event);
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.lastUsedAt = Date.now();
    if (this.closedReason !== null) return;
    this.idleTimer = setTimeout(() => {
      this.ended = { at: Date.now(), expired: true };
      void this.close(`idle for ${this.idleTimeoutMs} ms`);
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** Bytes in use on the work dir's own tmpfs (statfs: no walk); null when that cannot be read. */
  private workDirBytes(): number | null {
    // Without a sandbox the work dir is a host directory: statfs would measure the host's disk.
    if (this.sandbox.cgroup === null) return null;
    try {
      const fs = statfsSync(this.sandbox.workDir);
      return (fs.blocks - fs.bfree) * fs.bsize;
    } catch {
      return null;
    }
  }
}
