/**
 * The one place that reads SCRIPTBOX_* environment variables. Precedence, resolved once:
 * per-call options > engine options > environment > built-in defaults.
 */
import { z } from 'zod';
import {
  parseOptions,
  type ParsedEngineOpts,
  type PartialLimits,
  type SandboxOpts,
} from './engine/options.js';

export const ENV_VARS = {
  SCRIPTBOX_BWRAP: 'Path of the bubblewrap binary (default: bwrap found on PATH)',
  SCRIPTBOX_PYTHON: 'Interpreter for the python runtime (default /usr/bin/python3, Debian)',
  SCRIPTBOX_NODE: 'Interpreter for the javascript and typescript runtimes (default /usr/bin/node)',
  SCRIPTBOX_SANDBOX_UID: 'Host uid that runs sandboxes when scriptbox runs as root (default 65534, nobody)',
  SCRIPTBOX_TIMEOUT_MS: 'Default wall-clock limit per run',
  SCRIPTBOX_MEMORY_MB: 'Default memory limit per run',
} as const;
export type EnvVarName = keyof typeof ENV_VARS;

const EnvSchema = z.object({
  SCRIPTBOX_BWRAP: z.string().min(1).optional(),
  SCRIPTBOX_PYTHON: z.string().startsWith('/').optional(),
  SCRIPTBOX_NODE: z.string().startsWith('/').optional(),
  SCRIPTBOX_SANDBOX_UID: z.coerce.number().int().min(0).optional(),
  SCRIPTBOX_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
  SCRIPTBOX_MEMORY_MB: z.coerce.number().int().min(8).optional(),
});

export interface EnvConfig {
  sandbox: Partial<SandboxOpts>;
  limits: PartialLimits;
  interpreters: { python?: string; node?: string };
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const picked = Object.fromEntries(Object.keys(ENV_VARS).map((key) => [key, env[key] || undefined]));
  const parsed = parseOptions(EnvSchema, picked, 'SCRIPTBOX_* environment variables');
  const uid = parsed.SCRIPTBOX_SANDBOX_UID;
  return {
    sandbox: {
      ...(parsed.SCRIPTBOX_BWRAP ? { bwrapPath: parsed.SCRIPTBOX_BWRAP } : {}),
      // 0 means "keep the caller's uid".
      ...(uid !== undefined ? { hostUid: uid === 0 ? null : uid, hostGid: uid === 0 ? null : uid } : {}),
    },
    limits: {
      ...(parsed.SCRIPTBOX_TIMEOUT_MS ? { timeoutMs: parsed.SCRIPTBOX_TIMEOUT_MS } : {}),
      ...(parsed.SCRIPTBOX_MEMORY_MB ? { memoryMb: parsed.SCRIPTBOX_MEMORY_MB } : {}),
    },
    interpreters: { python: parsed.SCRIPTBOX_PYTHON, node: parsed.SCRIPTBOX_NODE },
  };
}

const NOBODY = 65_534;

/** Sandbox settings after precedence: engine options > environment > defaults. */
export function resolveSandboxOpts(opts: ParsedEngineOpts, env: EnvConfig): SandboxOpts {
  const isRoot = process.getuid?.() === 0;
  const defaults: SandboxOpts = {
    bwrapPath: 'bwrap',
    hostUid: isRoot ? NOBODY : null,
    hostGid: isRoot ? NOBODY : null,
  };
  return { ...defaults, ...env.sandbox, ...opts.sandbox };
}
