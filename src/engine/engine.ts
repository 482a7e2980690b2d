/**
 * The engine: validates a run, prepares the source, builds the sandbox, runs it and returns a typed
 * result. A failing script is a result (`ok: false`); exceptions are for the host's own failures.
 */
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { readEnv, resolveSandboxOpts, type EnvConfig } from '../config.js';
import { EngineClosedError, SandboxUnavailableError, ScriptboxError } from '../errors.js';
import { buildBwrapArgs, FD, RUNNER_DIR, syntheticEtc, WORK_DIR, type DataFile } from '../sandbox/bwrap.js';
import { CgroupManager } from '../sandbox/cgroups.js';
import { collectOutputs, prepareDestDir } from '../sandbox/outputs.js';
import { runSandbox, type SandboxRunOutcome } from '../sandbox/process.js';
import { builtinRuntimes } from '../sandbox/runtimes/builtin.js';
import { loadRunners, runnerFileName, runtimeCommand, scriptEnv } from '../sandbox/runtimes/command.js';
import { prepareSource } from '../sandbox/runtimes/prepare.js';
import { RuntimeRegistry } from '../sandbox/runtimes/registry.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import { runUnsandboxed } from '../sandbox/unsafe.js';
import { classify } from './classify.js';
import { closeInputs, resolveInputs, type ResolvedInput } from './inputs.js';
import {
  DEFAULT_LIMITS,
  EngineOptsSchema,
  parseOptions,
  RunOptsSchema,
  type EngineOpts,
  type Limits,
  type ParsedEngineOpts,
  type RunOpts,
  type SandboxOpts,
} from './options.js';
import type { RunError, RunResult } from './result.js';

export interface Engine {
  /** Runs one script in a fresh sandbox. */
  run(opts: RunOpts): Promise<RunResult>;
  readonly runtimes: RuntimeRegistry;
  /** True when this engine runs scripts without isolation (`unsafeNoSandbox`). */
  readonly unsafe: boolean;
  /** Waits for runs in flight, then removes the engine's cgroups. Idempotent. */
  close(): Promise<void>;
}

/** Creates an engine; refuses (SandboxUnavailableError) when bwrap or cgroups are missing. */
export async function createEngine(opts: EngineOpts = {}): Promise<Engine> {
  const parsed = parseOptions(EngineOptsSchema, opts, 'engine options');
  const env = readEnv();
  const engine = new SandboxEngine(parsed, env);
  await engine.init();
  return engine;
}

class SandboxEngine implements Engine {
  readonly runtimes: RuntimeRegistry;
  readonly unsafe: boolean;
  private readonly sandbox: SandboxOpts;
  private readonly limits: Limits;
  private readonly runners = loadRunners();
  private cgroups: CgroupManager | null = null;
  private bwrapPath = '';
  private readonly inFlight = new Set<Promise<RunResult>>();
  private readonly cleanups = new Set<Promise<void>>();
  private cleanupError: Error | null = null;
  private closed = false;

  constructor(opts: ParsedEngineOpts, env: EnvConfig) {
    this.unsafe = opts.unsafeNoSandbox === true;
    this.sandbox = resolveSandboxOpts(opts, env);
    this.limits = { ...DEFAULT_LIMITS, ...env.limits, ...opts.limits };
    const builtins = builtinRuntimes().map((spec) => withInterpreterOverride(spec, env));
    this.runtimes = new RuntimeRegistry([...builtins, ...(opts.runtimes ?? [])]);
  }

  async init(): Promise<void> {
    if (this.unsafe) return;
    this.bwrapPath = findExecutable(this.sandbox.bwrapPath);
    this.cgroups = CgroupManager.open(`scriptbox-${process.pid}-${randomBytes(4).toString('hex')}`);
    await Promise.resolve();
  }

  async run(opts: RunOpts): Promise<RunResult> {
    if (this.closed) throw new EngineClosedError();
    const parsed = parseOptions(RunOptsSchema, opts, 'run options');
    const promise = this.runParsed(parsed);
    this.inFlight.add(promise);
    try {
      return await promise;
    } finally {
      this.inFlight.delete(promise);
    }
  }

  private async runParsed(opts: RunOpts): Promise<RunResult> {
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
    const inputs = resolveInputs(opts.files ?? [], scriptFile);
    try {
      const outcome = this.unsafe
        ? await runUnsandboxed({
            runtime,
            code,
            scriptFile,
            inputs,
            stdin: opts.stdin,
            limits,
            signal: opts.signal,
          })
        : await this.runInSandbox(runtime, code, scriptFile, inputs, opts, limits);
      this.trackCleanup(outcome.cleanup);
      try {
        return await finish(base, outcome, limits, opts.outDir);
      } finally {
        outcome.release();
      }
    } finally {
      closeInputs(inputs);
    }
  }

  private async runInSandbox(
    runtime: RuntimeSpec,
    code: string,
    scriptFile: string,
    inputs: ResolvedInput[],
    opts: RunOpts,
    limits: Limits,
  ): Promise<SandboxRunOutcome> {
    if (!this.cgroups) throw new EngineClosedError();
    const data: Array<string | Uint8Array | number> = [];
    const dataFiles: DataFile[] = [];
    const addData = (dest: string, content: string | Uint8Array | number): void => {
      dataFiles.push({ dest, fd: FD.firstData + data.length });
      data.push(content);
    };
    addData(`${RUNNER_DIR}/${runnerFileName(runtime)}`, this.runners[runtime.runner]);
    addData(`${WORK_DIR}/${scriptFile}`, code);
    for (const input of inputs) addData(`${WORK_DIR}/${input.name}`, input.data);
    for (const [path, content] of Object.entries(syntheticEtc())) addData(path, content);
    const diskBytes = limits.diskMb * 1_048_576;
    const bwrapArgs = buildBwrapArgs({
      diskBytes,
      extraMounts: runtime.mounts,
      dataFiles,
      env: scriptEnv(runtime),
      command: runtimeCommand(runtime, scriptFile),
    });
    const cgroup = this.cgroups.newRun({
      memoryBytes: limits.memoryMb * 1_048_576,
      maxProcesses: limits.maxProcesses,
    });
    return runSandbox({
      file: this.bwrapPath,
      args: bwrapArgs,
      data,
      stdin: opts.stdin,
      limits,
      cgroup,
      hostUid: this.sandbox.hostUid,
      hostGid: this.sandbox.hostGid,
      signal: opts.signal,
    });
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

type Outcome = Pick<SandboxRunOutcome, Exclude<keyof SandboxRunOutcome, 'release'>>;

async function finish(
  base: RunResult,
  outcome: Outcome,
  limits: Limits,
  outDir: string | undefined,
): Promise<RunResult> {
  const error: RunError | null = classify(outcome, limits);
  const collected = outcome.workDir
    ? await collectOutputs(join(outcome.workDir, 'out'), {
        maxFiles: limits.maxOutFiles,
        maxBytes: limits.maxOutBytes,
        ...(outDir !== undefined ? { destDir: outDir } : {}),
      })
    : { files: [] };
  return {
    ...base,
    ok: error === null,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    stdout: outcome.stdout.toString('utf8'),
    stderr: outcome.stderr.toString('utf8'),
    truncated: outcome.truncated,
    error,
    usage: {
      wallMs: outcome.usage.wallMs,
      cpuMs: outcome.usage.cpuMs,
      peakMemoryBytes: outcome.usage.peakMemoryBytes,
    },
    files: collected.files,
  };
}

function baseResult(language: string, source: string): RunResult {
  return {
    ok: false,
    language,
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: { stdout: false, stderr: false },
    error: null,
    usage: { wallMs: 0, cpuMs: 0, peakMemoryBytes: 0 },
    files: [],
    scriptHash: createHash('sha256').update(source).digest('hex'),
  };
}

function withInterpreterOverride(spec: RuntimeSpec, env: EnvConfig): RuntimeSpec {
  const override =
    spec.runner === 'python'
      ? env.interpreters.python
      : spec.runner === 'node'
        ? env.interpreters.node
        : undefined;
  return override ? { ...spec, interpreter: override } : spec;
}

/** Absolute path of an executable, searching PATH for a bare name; fails closed with how to install it. */
export function findExecutable(name: string): string {
  const candidates = name.includes('/')
    ? [name]
    : (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new SandboxUnavailableError(
    `bubblewrap (${name}) was not found. Install it (Debian/Ubuntu: apt-get install bubblewrap) or set SCRIPTBOX_BWRAP. ` +
      'To run without isolation anyway, pass --unsafe-no-sandbox (dangerous).',
  );
}
