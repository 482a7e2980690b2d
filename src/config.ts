/**
 * The one place that reads SCRIPTBOX_* environment variables. Precedence, resolved once:
 * per-call options > engine options > environment > built-in defaults (the engine's settings are resolved
 * in engine/resolve-options.ts). It validates with the sandbox's schemas and imports nothing above them.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidOptionsError } from './errors.js';
import { parseOptions } from './parse-options.js';
import { LimitsSchema, perLimit, type Limits, type PartialLimits } from './sandbox/limits.js';
import { UidRangeSchema, type SandboxOpts } from './sandbox/options.js';
import { DEFAULT_SANDBOX_UIDS, formatUidRange } from './sandbox/uid-pool.js';

export const ENV_VARS = {
  SCRIPTBOX_BWRAP: 'Path of the bubblewrap binary (default: bwrap found on PATH)',
  SCRIPTBOX_PYTHON: 'Interpreter for the python runtime (default /usr/bin/python3, Debian)',
  SCRIPTBOX_NODE: 'Interpreter for the javascript and typescript runtimes (default /usr/bin/node)',
  SCRIPTBOX_SANDBOX_UIDS:
    'Host uids for sandboxes when scriptbox runs as root, as first-last: each live sandbox runs as one of ' +
    `them alone, gid the same (default ${formatUidRange(DEFAULT_SANDBOX_UIDS)}; N-N runs every sandbox as uid N)`,
  SCRIPTBOX_TIMEOUT_MS: 'Default wall-clock limit per run',
  SCRIPTBOX_MEMORY_MB: 'Default memory limit per run',
  SCRIPTBOX_MAX_TIMEOUT_MS:
    'Ceiling on the wall-clock limit (ms) any run may ask for (default 600000, 10 min)',
  SCRIPTBOX_MAX_CPU_MS: 'Ceiling on the CPU time limit (ms) any run may ask for (default 600000, 10 min)',
  SCRIPTBOX_MAX_MEMORY_MB:
    "Ceiling on the memory limit (MiB) any run may ask for (default 50% of the host's RAM, at most 16384)",
  SCRIPTBOX_MAX_PROCESSES: 'Ceiling on the process limit any run may ask for (default 1024)',
  SCRIPTBOX_MAX_OUTPUT_BYTES:
    'Ceiling on the stdout/stderr limit (bytes) any run may ask for (default 67108864, 64 MiB)',
  SCRIPTBOX_MAX_DISK_MB: 'Ceiling on the work dir size (MiB) any run may ask for (default 4096)',
  SCRIPTBOX_MAX_OUT_FILES: 'Ceiling on the number of out/ files any run may ask for (default 10000)',
  SCRIPTBOX_MAX_OUT_BYTES: 'Ceiling on the total out/ bytes any run may ask for (default 1073741824, 1 GiB)',
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
  SCRIPTBOX_RESOLVE:
    'Name-to-address overrides for the egress proxy, like curl --resolve: name:address,... (tests, air-gapped ' +
    'networks); an address still has to pass the private-address check unless private addresses are allowed',
  SCRIPTBOX_NET_CA_FILE:
    'A PEM file of CA certificates that sandboxes granted network trust besides the system ones (an internal ' +
    'CA, or a test CA)',
  SCRIPTBOX_HOME: 'Data directory: the script library and the generation cache (default ~/.scriptbox)',
} as const;
export type EnvVarName = keyof typeof ENV_VARS;

/** The variable that sets each limit's server-wide ceiling. */
export const CEILING_ENV = {
  timeoutMs: 'SCRIPTBOX_MAX_TIMEOUT_MS',
  cpuMs: 'SCRIPTBOX_MAX_CPU_MS',
  memoryMb: 'SCRIPTBOX_MAX_MEMORY_MB',
  maxProcesses: 'SCRIPTBOX_MAX_PROCESSES',
  maxOutputBytes: 'SCRIPTBOX_MAX_OUTPUT_BYTES',
  diskMb: 'SCRIPTBOX_MAX_DISK_MB',
  maxOutFiles: 'SCRIPTBOX_MAX_OUT_FILES',
  maxOutBytes: 'SCRIPTBOX_MAX_OUT_BYTES',
} as const satisfies Record<keyof Limits, EnvVarName>;

/** The variables that set a default limit (the others come from engine options or DEFAULT_LIMITS). */
export const LIMIT_ENV: Partial<Record<keyof Limits, EnvVarName>> = {
  timeoutMs: 'SCRIPTBOX_TIMEOUT_MS',
  memoryMb: 'SCRIPTBOX_MEMORY_MB',
};

/** A Telegram bot token, as @BotFather gives it (SCRIPTBOX_TELEGRAM_TOKEN, the bot's `token`). */
export const TelegramTokenSchema = z
  .string()
  .regex(/^\d+:[\w-]+$/, 'a token like 123456:ABC-DEF (from @BotFather)');

/** A ceiling from the environment: a whole number in the same range as the limit itself. */
const envCeiling = (key: keyof Limits) => z.coerce.number().pipe(LimitsSchema.shape[key]).optional();

const EnvSchema = z.object({
  SCRIPTBOX_BWRAP: z.string().min(1).optional(),
  SCRIPTBOX_PYTHON: z.string().startsWith('/').optional(),
  SCRIPTBOX_NODE: z.string().startsWith('/').optional(),
  SCRIPTBOX_SANDBOX_UIDS: z
    .string()
    .regex(/^\s*\d+\s*-\s*\d+\s*$/, 'first-last, e.g. 2000000000-2000065535')
    .transform((text) => {
      const [first = Number.NaN, last = Number.NaN] = text.split('-').map((end) => Number(end.trim()));
      return { first, last };
    })
    .pipe(UidRangeSchema)
    .optional(),
  SCRIPTBOX_TIMEOUT_MS: z.coerce.number().int().min(1).optional(),
  SCRIPTBOX_MEMORY_MB: z.coerce.number().int().min(8).optional(),
  SCRIPTBOX_MAX_TIMEOUT_MS: envCeiling('timeoutMs'),
  SCRIPTBOX_MAX_CPU_MS: envCeiling('cpuMs'),
  SCRIPTBOX_MAX_MEMORY_MB: envCeiling('memoryMb'),
  SCRIPTBOX_MAX_PROCESSES: envCeiling('maxProcesses'),
  SCRIPTBOX_MAX_OUTPUT_BYTES: envCeiling('maxOutputBytes'),
  SCRIPTBOX_MAX_DISK_MB: envCeiling('diskMb'),
  SCRIPTBOX_MAX_OUT_FILES: envCeiling('maxOutFiles'),
  SCRIPTBOX_MAX_OUT_BYTES: envCeiling('maxOutBytes'),
  SCRIPTBOX_TEMPLATES: z.string().optional(),
  SCRIPTBOX_LLM_BASE_URL: z.string().min(1).optional(),
  SCRIPTBOX_LLM_MODEL: z.string().min(1).optional(),
  SCRIPTBOX_LLM_API_KEY: z.string().min(1).optional(),
  SCRIPTBOX_TELEGRAM_TOKEN: TelegramTokenSchema.optional(),
  SCRIPTBOX_RESOLVE: z.string().optional(),
  SCRIPTBOX_NET_CA_FILE: z.string().startsWith('/', 'an absolute path').optional(),
  SCRIPTBOX_HOME: z.string().min(1).optional(),
});

export interface EnvConfig {
  sandbox: Partial<SandboxOpts>;
  limits: PartialLimits;
  /** SCRIPTBOX_MAX_* as given (see engine/resolve-options.ts for the precedence and the defaults). */
  ceilings?: PartialLimits;
  interpreters: { python?: string; node?: string };
  /** SCRIPTBOX_TEMPLATES split on `:` (see resolveTemplateDirs). */
  templateDirs?: string[];
  /** SCRIPTBOX_LLM_* as given (see resolveLlmSettings). */
  llm?: LlmSettings;
  /** SCRIPTBOX_HOME as given (see resolveHome for the precedence and the default). */
  home?: string;
  /** SCRIPTBOX_TELEGRAM_TOKEN: a secret, never logged nor put in errors. */
  telegramToken?: string;
  /** SCRIPTBOX_RESOLVE split on `,` and SCRIPTBOX_NET_CA_FILE: what the operator's network policy adds. */
  network?: { resolve: string[]; trustCaFile?: string };
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const picked = Object.fromEntries(Object.keys(ENV_VARS).map((key) => [key, env[key] || undefined]));
  if (env['SCRIPTBOX_SANDBOX_UID']) {
    const issue =
      'SCRIPTBOX_SANDBOX_UID: replaced by SCRIPTBOX_SANDBOX_UIDS=first-last, a range of host uids that gives ' +
      'each live sandbox one of its own (N-N runs every sandbox as uid N)';
    throw new InvalidOptionsError(`invalid SCRIPTBOX_* environment variables:\n  ${issue}`, [issue]);
  }
  const parsed = parseOptions(EnvSchema, picked, 'SCRIPTBOX_* environment variables');
  return {
    sandbox: {
      ...(parsed.SCRIPTBOX_BWRAP ? { bwrapPath: parsed.SCRIPTBOX_BWRAP } : {}),
      ...(parsed.SCRIPTBOX_SANDBOX_UIDS ? { uids: parsed.SCRIPTBOX_SANDBOX_UIDS } : {}),
    },
    limits: {
      ...(parsed.SCRIPTBOX_TIMEOUT_MS ? { timeoutMs: parsed.SCRIPTBOX_TIMEOUT_MS } : {}),
      ...(parsed.SCRIPTBOX_MEMORY_MB ? { memoryMb: parsed.SCRIPTBOX_MEMORY_MB } : {}),
    },
    ceilings: perLimit((key) => parsed[CEILING_ENV[key]]),
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
    network: {
      resolve: (parsed.SCRIPTBOX_RESOLVE ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
      ...(parsed.SCRIPTBOX_NET_CA_FILE ? { trustCaFile: parsed.SCRIPTBOX_NET_CA_FILE } : {}),
    },
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
