/**
 * The engine's settings after precedence, resolved once when an engine is created: engine options >
 * environment (read by config.ts, the one place that reads SCRIPTBOX_*) > built-in defaults.
 */
import { totalmem } from 'node:os';
import { CEILING_ENV, LIMIT_ENV, type EnvConfig } from '../config.js';
import { InvalidOptionsError } from '../errors.js';
import { DEFAULT_LIMITS, perLimit, type Limits } from '../sandbox/limits.js';
import type { SandboxOpts } from '../sandbox/options.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import { DEFAULT_SANDBOX_UIDS, type UidRange } from '../sandbox/uid-pool.js';
import { defaultCeilings, type ParsedEngineOpts } from './options.js';

export interface ResolvedLimits {
  /** Each run's limits where it sets none. */
  limits: Limits;
  /** The most any run, session or batch may ask for, limit by limit (enforced in engine/ceilings.ts). */
  ceilings: Limits;
}

/**
 * An engine's default limits and its ceilings, each by precedence: engine options > environment
 * (SCRIPTBOX_TIMEOUT_MS, SCRIPTBOX_MEMORY_MB; SCRIPTBOX_MAX_*) > built-in defaults (DEFAULT_LIMITS;
 * defaultCeilings, whose memory ceiling is a share of `totalMemBytes`). A built-in default above its ceiling
 * is lowered to the ceiling; a default set explicitly above its ceiling is refused with InvalidOptionsError.
 */
export function resolveLimits(
  opts: Pick<ParsedEngineOpts, 'limits' | 'ceilings'>,
  env: EnvConfig,
  totalMemBytes: number = totalmem(),
): ResolvedLimits {
  const ceilings: Limits = { ...defaultCeilings(totalMemBytes), ...env.ceilings, ...opts.ceilings };
  const issues: string[] = [];
  const explicit = perLimit((key) => {
    const value = opts.limits?.[key] ?? env.limits[key];
    if (value === undefined || value <= ceilings[key]) return value;
    const where = opts.limits?.[key] !== undefined ? `limits.${key}` : (LIMIT_ENV[key] ?? `limits.${key}`);
    issues.push(
      `${where}: the default ${value} is above its ceiling ${ceilings[key]} (set by the engine option ` +
        `ceilings.${key} or ${CEILING_ENV[key]}); lower the default or raise the ceiling`,
    );
    return value;
  });
  if (issues.length > 0) {
    throw new InvalidOptionsError(`invalid engine options:\n  ${issues.join('\n  ')}`, issues);
  }
  const builtin = perLimit((key) => Math.min(DEFAULT_LIMITS[key], ceilings[key]));
  const limits: Limits = { ...DEFAULT_LIMITS, ...builtin, ...explicit };
  return { limits, ceilings };
}

/** Sandbox settings after precedence: engine options > environment > defaults. */
export function resolveSandboxOpts(opts: ParsedEngineOpts, env: EnvConfig): SandboxOpts {
  const defaults: SandboxOpts = { bwrapPath: 'bwrap', uids: { ...DEFAULT_SANDBOX_UIDS } };
  return { ...defaults, ...env.sandbox, ...opts.sandbox };
}

/**
 * The host uids sandboxes take one each from (see sandbox/uid-pool.ts), or null when scriptbox does not
 * run as root: it cannot switch uids then, and every sandbox runs as the caller's uid.
 */
export function sandboxUidRange(opts: SandboxOpts, isRoot = process.getuid?.() === 0): UidRange | null {
  return isRoot ? opts.uids : null;
}

/** A built-in runtime with the interpreter SCRIPTBOX_PYTHON / SCRIPTBOX_NODE name, if set. */
export function withInterpreterOverride(spec: RuntimeSpec, env: EnvConfig): RuntimeSpec {
  const override =
    spec.runner === 'python'
      ? env.interpreters.python
      : spec.runner === 'node'
        ? env.interpreters.node
        : undefined;
  return override ? { ...spec, interpreter: override } : spec;
}
