/**
 * The engine: validates a run, prepares the source, builds the sandbox, runs it and returns a typed
 * result. A failing script is a result (`ok: false`); exceptions are for the host's own failures.
 */
import { readEnv, type EnvConfig } from '../config.js';
import {
  EngineClosedError,
  InvalidOptionsError,
  SandboxUnavailableError,
  ScriptboxError,
} from '../errors.js';
import { CgroupManager } from '../sandbox/cgroups.js';
import { findExecutable } from '../sandbox/executable.js';
import { prepareDestDir } from '../sandbox/outputs.js';
import { builtinRuntimes } from '../sandbox/runtimes/builtin.js';
import { hasSessions, interpreterProblem } from '../sandbox/runtimes/command.js';
import { prepareSource } from '../sandbox/runtimes/prepare.js';
import { RuntimeRegistry } from '../sandbox/runtimes/registry.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import { SandboxStartError, type Sandbox } from '../sandbox/sandbox.js';
import { UidPool, UidWaitCancelledError } from '../sandbox/uid-pool.js';
import { refuseRuntimeEnv } from '../sandbox/script-env.js';
import { startUnsandboxed } from '../sandbox/unsafe.js';
import type { NetworkPolicy } from '../network/policy.js';
import type { EgressGrant } from '../network/proxy.js';
import { NetworkAccess } from './egress.js';
import { carriedFiles, closeInputs, resolveInputs, type ResolvedInput } from './inputs.js';
import { SandboxLauncher, START_TIMEOUT_MS, type EgressLaunch } from './launcher.js';
import {
  DEFAULT_POOL,
  EngineOptsSchema,
  RunOptsSchema,
  type EngineOpts,
  type Limits,
  type ParsedEngineOpts,
  type PoolOpts,
  type RunOpts,
  type SandboxOpts,
} from './options.js';
import { parseOptions } from '../parse-options.js';
import {
  resolveLimits,
  resolveSandboxOpts,
  sandboxUidRange,
  withInterpreterOverride,
} from './resolve-options.js';
import { runBatch as runBatchOver, type BatchOpts, type BatchResult } from './batch.js';
import { CeiledSession, enforceCeilings } from './ceilings.js';
import { EngineEventEmitter, reportRun } from './events.js';
import { WarmPool } from './pool.js';
import { OutputDecoder, streamRun, type RunStream } from './stream.js';
import { DEFAULT_SESSION_IDLE_MS, Session, SessionOptsSchema, type SessionOpts } from './session.js';
import type { RunResult } from './result.js';
import { baseResult, toResult, withNetwork } from './to-result.js';

export interface Engine {
  /** Runs one script in a fresh single-use sandbox. */
  run(opts: RunOpts): Promise<RunResult>;
  /** Like run(), with the output also readable as it comes: `for await (const chunk of stream)`. */
  stream(opts: Omit<RunOpts, 'onStdout' | 'onStderr'>): RunStream;
  /** Runs one script over many items with bounded concurrency; results in input order (see batch.ts). */
  runBatch(opts: BatchOpts): Promise<BatchResult>;
  /**
   * Starts a session: a sandbox of its own that keeps its work dir (and preloaded interpreter) across runs.
   * Aborting `opts.signal` before it resolves destroys the sandbox (none is left) and rejects with a
   * ScriptboxError of code CANCELLED whose `cause` is the signal's reason.
   */
  createSession(opts: SessionOpts): Promise<Session>;
  /** Typed events: run:start/finish, sandbox:create/destroy, pool:refill, network:egress. */
  readonly events: EngineEventEmitter;
  /** Resolves once the warm sandboxes for `language` are started and waiting (a no-op without a pool). */
  warm(language: string): Promise<void>;
  readonly runtimes: RuntimeRegistry;
  /** The most any run, session or batch may ask for, limit by limit; more is LimitAboveCeilingError. */
  readonly ceilings: Readonly<Limits>;
  /** True when this engine runs scripts without isolation (`unsafeNoSandbox`). */
  readonly unsafe: boolean;
  /** The widest network a run or session may be granted (EngineOpts.network plus SCRIPTBOX_RESOLVE/_NET_CA_FILE). */
  readonly networkPolicy: Readonly<NetworkPolicy>;
  /** Waits for runs in flight, destroys warm sandboxes and removes the engine's cgroups. Idempotent. */
  close(): Promise<void>;
}

/** Creates an engine; rejects with SandboxUnavailableError when bwrap or cgroups are missing. */
export function createEngine(opts: EngineOpts = {}): Promise<Engine> {
  return new Promise((resolve) => {
    const engine = new SandboxEngine(parseOptions(EngineOptsSchema, opts, 'engine options'), readEnv());
    engine.init();
    resolve(engine);
  });
}

class SandboxEngine implements Engine {
  readonly events = new EngineEventEmitter();
  readonly runtimes: RuntimeRegistry;
  readonly unsafe: boolean;
  private readonly sandboxOpts: SandboxOpts;
  private readonly limits: Limits;
  readonly ceilings: Readonly<Limits>;
  private readonly poolOpts: Required<PoolOpts>;
  private readonly inlineFiles: ParsedEngineOpts['inlineFiles'];
  private readonly network: NetworkAccess;
  private cgroups: CgroupManager | null = null;
  /** One host uid per live sandbox when root; null: sandboxes run as the caller's uid. */
  private uids: UidPool | null = null;
  private launcher: SandboxLauncher | null = null;
  private pool: WarmPool | null = null;
  private readonly inFlight = new Set<Promise<RunResult>>();
  private readonly sessions = new Set<Session>();
  private readonly cleanups = new Set<Promise<void>>();
  private cleanupError: Error | null = null;
  private closed = false;

  constructor(opts: ParsedEngineOpts, env: EnvConfig) {
    this.unsafe = opts.unsafeNoSandbox === true;
    this.sandboxOpts = resolveSandboxOpts(opts, env);
    ({ limits: this.limits, ceilings: this.ceilings } = resolveLimits(opts, env));
    this.poolOpts = { ...DEFAULT_POOL, ...opts.pool };
    this.inlineFiles = opts.inlineFiles;
    this.network = new NetworkAccess(opts.network, env);
    const builtins = builtinRuntimes().map((spec) => withInterpreterOverride(spec, env));
    this.runtimes = new RuntimeRegistry([...builtins, ...(opts.runtimes ?? [])]);
  }

  /** Finds bwrap and opens the cgroups, or throws saying what is missing. */
  init(): void {
    if (this.unsafe) return;
    const bwrapPath = findExecutable(this.sandboxOpts.bwrapPath);
    this.cgroups = CgroupManager.open();
    const uidRange = sandboxUidRange(this.sandboxOpts);
    this.uids = uidRange ? new UidPool(uidRange) : null;
    const launcher = new SandboxLauncher(bwrapPath, this.cgroups, this.events, this.uids);
    this.launcher = launcher;
    const { size, preload } = this.poolOpts;
    this.pool = new WarmPool(
      size,
      (name) =>
        launcher.start({
          runtime: this.runtimes.resolve(name),
          limits: this.limits,
          purpose: 'pool',
          preload,
        }),
      (runtime, ready) => this.events.emit('pool:refill', { runtime, ready }),
    );
  }

  async run(opts: RunOpts): Promise<RunResult> {
    if (this.closed) throw new EngineClosedError();
    const parsed = parseOptions(RunOptsSchema, opts, 'run options');
    enforceCeilings(parsed.limits, this.ceilings);
    const grant = this.network.grant(parsed.network, this.unsafe);
    refuseRuntimeEnv(parsed.env, this.runtimes.resolve(parsed.language));
    const promise = reportRun(
      this.events,
      this.runtimes.resolve(parsed.language).name,
      parsed.source,
      null,
      (runId) => this.runParsed(parsed, grant, runId),
    );
    this.inFlight.add(promise);
    try {
      return await promise;
    } finally {
      this.inFlight.delete(promise);
    }
  }

  stream(opts: Omit<RunOpts, 'onStdout' | 'onStderr'>): RunStream {
    return streamRun((callbacks) => this.run({ ...opts, ...callbacks }));
  }

  runBatch(opts: BatchOpts): Promise<BatchResult> {
    return runBatchOver(this, opts);
  }

  get networkPolicy(): Readonly<NetworkPolicy> {
    return this.network.policy;
  }

  async createSession(opts: SessionOpts): Promise<Session> {
    if (this.closed) throw new EngineClosedError();
    const parsed = parseOptions(SessionOptsSchema, opts, 'session options');
    enforceCeilings(parsed.limits, this.ceilings);
    const grant = this.network.grant(parsed.network, this.unsafe);
    const runtime = this.runtimes.resolve(parsed.language);
    if (!hasSessions(runtime)) {
      const issue = `language: ${runtime.name} has no sessions (python, javascript, typescript and bash do); use engine.run`;
      throw new InvalidOptionsError(issue, [issue]);
    }
    if (this.unsafe || !this.launcher) {
      const issue = 'sessions need the sandbox: create the engine without unsafeNoSandbox';
      throw new InvalidOptionsError(issue, [issue]);
    }
    // Every session is supervised by a Python process, whatever its language.
    const python = this.runtimes.resolve('python');
    const problem = interpreterProblem(runtime) ?? interpreterProblem(python);
    if (problem !== null) throw new SandboxUnavailableError(problem);
    const { signal } = parsed;
    if (signal?.aborted) throw sessionStartCancelled(signal);
    const limits: Limits = { ...this.limits, ...parsed.limits };
    const stateMode = parsed.state ?? 'stateful';
    const inputs = resolveInputs(parsed.files ?? [], `main${runtime.extensions[0] ?? ''}`);
    const egress = grant ? this.egressFor(grant) : undefined;
    let sandbox: Sandbox;
    try {
      const preload = parsed.preload ?? [];
      sandbox = await this.launcher.startSession({
        runtime,
        stateful: stateMode === 'stateful',
        limits,
        inputs,
        preload,
        python: python.interpreter,
        signal,
        ...(egress ? { egress } : {}),
      });
    } catch (err) {
      // Cancelled (waiting for a uid, or while the sandbox came up: it is destroyed already).
      if (signal?.aborted) throw sessionStartCancelled(signal);
      if (err instanceof SandboxStartError)
        throw new SandboxUnavailableError(`cannot start a session: ${err.message}`);
      throw err;
    } finally {
      closeInputs(inputs);
    }
    if (signal?.aborted) {
      // Aborted once the sandbox was up (as its sandbox:create event went out): nothing is left of it.
      await sandbox.destroy();
      throw sessionStartCancelled(signal);
    }
    const failed = sandbox.readyEvent?.preloadFailed ?? [];
    if (failed.length > 0) {
      await sandbox.destroy();
      const issue = `preload: cannot import ${failed.join('; ')}`;
      throw new InvalidOptionsError(issue, [issue]);
    }
    const session = new CeiledSession(
      this.ceilings,
      sandbox,
      runtime,
      limits,
      parsed.idleTimeoutMs ?? DEFAULT_SESSION_IDLE_MS,
      this.events,
      (s, done) => {
        this.sessions.delete(s);
        this.trackCleanup(done);
      },
      egress?.proxy ?? null,
      stateMode,
    );
    this.sessions.add(session);
    return session;
  }

  async warm(language: string): Promise<void> {
    if (this.closed) throw new EngineClosedError();
    await this.pool?.fill(this.runtimes.resolve(language).name);
  }

  /** A sandbox's network: a proxy of its own for `grant`, whose decisions become network:egress events. */
  private egressFor(grant: EgressGrant): EgressLaunch {
    return {
      proxy: this.network.forSandbox(grant, (event) => this.events.emit('network:egress', event)),
      caBundle: this.network.caBundle,
      python: this.runtimes.resolve('python').interpreter,
    };
  }

  private async runParsed(opts: RunOpts, grant: EgressGrant | null, runId: string): Promise<RunResult> {
    const runtime = this.runtimes.resolve(opts.language);
    const limits: Limits = { ...this.limits, ...opts.limits };
    const base = baseResult(runtime.name, opts.source);
    let code = opts.source;
    let scriptFile = `main${runtime.extensions[0] ?? ''}`;
    if (runtime.prepare) {
      const prepared = prepareSource(runtime.prepare, opts.source);
      if (!prepared.ok) return { ...base, error: prepared.error };
      code = prepared.prepared.code;
      scriptFile = prepared.prepared.fileName;
    }
    if (opts.outDir !== undefined) await prepareDestDir(opts.outDir);
    const cancelled: RunResult = {
      ...base,
      error: { kind: 'cancelled', message: 'the run was cancelled before it started' },
    };
    // Cancelled already: no sandbox is started (nor a warm one used up) for it.
    if (opts.signal?.aborted) return cancelled;
    const inputs = resolveInputs(opts.files ?? [], scriptFile);
    const egress = grant ? this.egressFor(grant) : undefined;
    egress?.proxy.beginRun(runId, undefined, opts.onNetwork);
    let sandbox: Sandbox;
    try {
      sandbox = await this.acquire(runtime, limits, inputs, opts.signal, egress);
    } catch (err) {
      await egress?.proxy.close(); // closed already if it was opened: nothing of it is left
      if (err instanceof UidWaitCancelledError)
        return { ...base, error: { kind: 'cancelled', message: err.message } };
      if (opts.signal?.aborted) return cancelled;
      if (err instanceof SandboxStartError) {
        const message = `${err.message} (run \`scriptbox doctor\`: it checks each requirement and says how to fix it)`;
        return { ...base, error: { kind: 'sandbox', message } };
      }
      throw err;
    } finally {
      closeInputs(inputs);
    }
    const decoder = new OutputDecoder(opts);
    const onOutput = decoder.wanted
      ? (stream: 'stdout' | 'stderr', bytes: Buffer) => decoder.write(stream, bytes)
      : undefined;
    try {
      // Unsandboxed runs wrote their inputs into their directory already.
      const files = this.unsafe ? undefined : (carriedFiles(inputs) ?? undefined);
      const { stdin, env, args, signal } = opts;
      const job = { scriptFile, code, files, stdin, env, args, limits, signal, onOutput };
      const outcome = await sandbox.run(job);
      decoder.flush();
      const report = egress?.proxy.report() ?? null;
      const inline = { ...this.inlineFiles, ...opts.inlineFiles };
      const result = await toResult(base, outcome, limits, {
        workDir: sandbox.workDir,
        outDir: opts.outDir,
        inline,
      });
      return withNetwork(result, report);
    } finally {
      this.trackCleanup(sandbox.destroy());
      const usedPool = !egress && this.fitsPool(inputs, limits);
      if (this.poolOpts.refill === 'auto' && usedPool) this.pool?.refill(runtime.name);
    }
  }

  /**
   * A started sandbox for this run: a warm one when the run fits the pool's (no input files, the default
   * disk size, no network), else a fresh one carrying the input files (and its egress proxy).
   */
  private async acquire(
    runtime: RuntimeSpec,
    limits: Limits,
    inputs: ResolvedInput[],
    signal: AbortSignal | undefined,
    egress: EgressLaunch | undefined,
  ): Promise<Sandbox> {
    const problem = interpreterProblem(runtime);
    if (problem !== null) throw new SandboxStartError(problem);
    if (this.unsafe) return startUnsandboxed(runtime, inputs, START_TIMEOUT_MS);
    if (!this.launcher || !this.pool) throw new EngineClosedError();
    const warm = !egress && this.fitsPool(inputs, limits) ? this.pool.take(runtime.name) : null;
    const mounted = carriedFiles(inputs) === null ? inputs : [];
    return (
      warm ??
      this.launcher.start({
        runtime,
        limits,
        purpose: 'run',
        inputs: mounted,
        signal,
        ...(egress ? { egress } : {}),
      })
    );
  }

  /**
   * Warm sandboxes have the engine's default disk size and mount no input files: a run fits when its
   * inputs are small enough to travel with its job.
   */
  private fitsPool(inputs: ResolvedInput[], limits: Limits): boolean {
    return limits.diskMb === this.limits.diskMb && carriedFiles(inputs) !== null;
  }

  private trackCleanup(cleanup: Promise<void>): void {
    const tracked = cleanup.catch((err: unknown) => {
      this.cleanupError ??= err instanceof Error ? err : new Error(String(err));
    });
    this.cleanups.add(tracked);
    void tracked.finally(() => this.cleanups.delete(tracked));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.sessions].map((session) => session.close('its engine closed')));
    this.uids?.close(); // a warm refill still waiting for a free uid gives up
    await this.pool?.close();
    this.pool = null;
    this.launcher = null;
    await Promise.all([...this.cleanups]);
    this.cgroups?.close();
    this.cgroups = null;
    if (this.cleanupError) {
      const cause = this.cleanupError;
      this.cleanupError = null;
      throw new ScriptboxError('INTERNAL', `could not remove every sandbox cgroup: ${cause.message}`, {
        cause,
      });
    }
  }
}

/** What createSession rejects with when its signal aborts: code CANCELLED, the signal's reason as cause. */
function sessionStartCancelled(signal: AbortSignal): ScriptboxError {
  return new ScriptboxError('CANCELLED', 'the session start was cancelled (its signal was aborted)', {
    cause: signal.reason,
  });
}
