/**
 * The one place that reads SCRIPTBOX_* environment variables. Precedence, resolved once:
 * per-call options > engine options > environment > built-in defaults.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
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
  SCRIPTBOX_TEMPLATES:
    'Colon-separated directories of user template packs, searched before the built-in packs (a user ' +
    'template replaces a built-in one with the same id)',
  SCRIPTBOX_LLM_BASE_URL:
    'Base URL of an OpenAI-compatible chat completions API, e.g. https://api.openai.com/v1 or ' +
    'http://127.0.0.1:11434/v1 (Ollama)',
  SCRIPTBOX_LLM_MODEL: 'Model asked by `generate --prompt`, e.g. gpt-4o-mini or qwen2.5-coder:7b',
  SCRIPTBOX_LLM_API_KEY:
    'Key sent as `Authorization: Bearer` to that API (a secret: never logged; local servers need none)',
  SCRIPTBOX_TELEGRAM_TOKEN: 'Bot token for `scriptbox bot telegram` (from @BotFather; a secret)',
  SCRIPTBOX_HOME: 'Data directory: the script library and the generation cache (default ~/.scriptbox)',
} as const;
export type EnvVarName = keyof typeof ENV_VARS;

const EnvSchema = z.object({
  SCRIPTBOX_BWRAP: z.string().min(1).optional(),
  SCRIPTBOX_PYTHON: z.string().startsWith('/').optional(),
  SCRIPTBOX_NODE: z.string().startsWith('/').optional(),
  SCRIPTBOX_SANDBOX_UID: z.coerce.number().int().min(0).optional(),
  SCRIPTBOX_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
  SCRIPTBOX_MEMORY_MB: z.coerce.number().int().min(8).optional(),
  SCRIPTBOX_TEMPLATES: z.string().optional(),
  SCRIPTBOX_LLM_BASE_URL: z.string().min(1).optional(),
  SCRIPTBOX_LLM_MODEL: z.string().min(1).optional(),
  SCRIPTBOX_LLM_API_KEY: z.string().min(1).optional(),
  SCRIPTBOX_TELEGRAM_TOKEN: z
    .string()
    .regex(/^\d+:[\w-]+$/, 'a token like 123456:ABC-DEF (from @BotFather)')
    .optional(),
  SCRIPTBOX_HOME: z.string().min(1).optional(),
});

export interface EnvConfig {
  sandbox: Partial<SandboxOpts>;
  limits: PartialLimits;
  interpreters: { python?: string; node?: string };
  /** SCRIPTBOX_TEMPLATES split on `:` (see resolveTemplateDirs). */
  templateDirs?: string[];
  /** SCRIPTBOX_LLM_* as given (see resolveLlmSettings). */
  llm?: LlmSettings;
  /** SCRIPTBOX_HOME as given (see resolveHome for the precedence and the default). */
  home?: string;
  /** SCRIPTBOX_TELEGRAM_TOKEN: a secret, never logged nor put in errors. */
  telegramToken?: string;
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
    ...(parsed.SCRIPTBOX_TEMPLATES
      ? { templateDirs: parsed.SCRIPTBOX_TEMPLATES.split(':').filter((dir) => dir !== '') }
      : {}),
    llm: {
      ...(parsed.SCRIPTBOX_LLM_BASE_URL ? { baseUrl: parsed.SCRIPTBOX_LLM_BASE_URL } : {}),
      ...(parsed.SCRIPTBOX_LLM_MODEL ? { model: parsed.SCRIPTBOX_LLM_MODEL } : {}),
      ...(parsed.SCRIPTBOX_LLM_API_KEY ? { apiKey: parsed.SCRIPTBOX_LLM_API_KEY } : {}),
    },
    ...(parsed.SCRIPTBOX_HOME ? { home: parsed.SCRIPTBOX_HOME } : {}),
    ...(parsed.SCRIPTBOX_TELEGRAM_TOKEN ? { telegramToken: parsed.SCRIPTBOX_TELEGRAM_TOKEN } : {}),
  };
}

/**
 * The data directory (library, cache), absolute: the `home` option > SCRIPTBOX_HOME > ~/.scriptbox.
 * A relative path is taken from the current directory.
 */
export function resolveHome(option: string | undefined, env: EnvConfig = readEnv()): string {
  return resolve(option ?? env.home ?? join(homedir(), '.scriptbox'));
}

/** Directories of user template packs: the `templateDirs` option > SCRIPTBOX_TEMPLATES > none. */
export function resolveTemplateDirs(option: string[] | undefined, env: EnvConfig = readEnv()): string[] {
  return (option ?? env.templateDirs ?? []).map((dir) => resolve(dir));
}

/** Where `generate --prompt` sends its requests; the key is a secret (never logged nor put in errors). */
export interface LlmSettings {
  baseUrl?: string;
  model?: string;
  apiKey?: string;
}

/** LLM settings, field by field: options > SCRIPTBOX_LLM_* > unset. */
export function resolveLlmSettings(option: LlmSettings = {}, env: EnvConfig = readEnv()): LlmSettings {
  const baseUrl = option.baseUrl ?? env.llm?.baseUrl;
  const model = option.model ?? env.llm?.model;
  const apiKey = option.apiKey ?? env.llm?.apiKey;
  return {
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
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
