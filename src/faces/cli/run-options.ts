/**
 * `scriptbox run` options: how they appear on the command line, how they are validated (each numeric
 * option against the engine's own limit schema, so ranges are defined once) and how the language is chosen.
 */
import { extname } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { RunChecksSchema } from '../../check/index.js';
import { CEILING_ENV } from '../../config.js';
import { LIMIT_UNITS, type CeilingBreach } from '../../engine/ceilings.js';
import type { FaceWords } from '../../engine/face-words.js';
import { DEFAULT_LIMITS, LimitsSchema, type PartialLimits } from '../../engine/options.js';
import { UsageError } from '../../errors.js';
import { envNameProblem, envValueProblem } from '../../sandbox/script-env.js';
import { builtinRuntimes } from '../../sandbox/runtimes/builtin.js';
import type { RuntimeRegistry } from '../../sandbox/runtimes/registry.js';
import type { RuntimeSpec } from '../../sandbox/runtimes/spec.js';
import { NetCliOptsSchema } from './net-options.js';

type CliLimitKey = 'timeoutMs' | 'cpuMs' | 'memoryMb' | 'maxOutputBytes';

interface LimitFlag {
  flags: string;
  key: CliLimitKey;
  what: string;
  unit: string;
  env?: string;
}

export const LIMIT_FLAGS: readonly LimitFlag[] = [
  {
    flags: '--timeout <ms>',
    key: 'timeoutMs',
    what: 'wall-clock limit',
    unit: 'ms',
    env: 'SCRIPTBOX_TIMEOUT_MS',
  },
  { flags: '--cpu <ms>', key: 'cpuMs', what: 'CPU time limit', unit: 'ms' },
  { flags: '--memory <MiB>', key: 'memoryMb', what: 'memory limit', unit: 'MiB', env: 'SCRIPTBOX_MEMORY_MB' },
  {
    flags: '--max-output <bytes>',
    key: 'maxOutputBytes',
    what: 'limit on stdout and on stderr',
    unit: 'bytes',
  },
];

/** Parses a whole number and checks it against the engine's schema for that limit. */
function limitParser(key: CliLimitKey, unit: string): (value: string) => number {
  return (value) => {
    const text = value.trim().replaceAll('_', '');
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`expected a whole number of ${unit}.`);
    const checked = LimitsSchema.shape[key].safeParse(Number(text));
    if (!checked.success) {
      throw new InvalidArgumentError(checked.error.issues.map((issue) => issue.message).join('; ') + '.');
    }
    return checked.data;
  };
}

/** commander Options for the limits, with the defaults taken from DEFAULT_LIMITS for --help. */
export function limitOptions(): Option[] {
  return LIMIT_FLAGS.map(({ flags, key, what, unit, env }) => {
    const fallback = `${DEFAULT_LIMITS[key]}${env ? `, or ${env}` : ''}`;
    return new Option(flags, `${what} in ${unit} (default: ${fallback})`).argParser(limitParser(key, unit));
  });
}

/**
 * `--env NAME=VALUE` (repeatable): a variable for the script, checked as it is parsed (the engine's own
 * rules, script-env.ts); values collect in order, so a later one for the same name wins.
 */
export function envOption(): Option {
  return new Option(
    '--env <NAME=VALUE>',
    'an environment variable for the script (repeatable); PATH, HOME, proxy and interpreter variables are refused',
  ).argParser((value: string, previous: string[] | undefined) => {
    const equals = value.indexOf('=');
    if (equals < 0) throw new InvalidArgumentError(`expected NAME=VALUE, got ${JSON.stringify(value)}.`);
    const name = value.slice(0, equals);
    const problem = envNameProblem(name) ?? envValueProblem(value.slice(equals + 1));
    if (problem !== null) throw new InvalidArgumentError(`${name} is refused: ${problem}.`);
    return [...(previous ?? []), value];
  });
}

/** The `--env` values as the engine's `env` option (undefined when none was given). */
export function envFrom(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const env: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    env[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return env;
}

/** The built-in runtimes as --lang lists them in --help: python|javascript|typescript|bash. */
export function languageChoices(): string {
  return builtinRuntimes()
    .map((spec) => spec.name)
    .join('|');
}

/** The option values commander collected, validated (commander itself hands them out untyped). */
export const RunCliOptsSchema = z
  .object({
    lang: z.string().optional(),
    timeout: z.number().optional(),
    cpu: z.number().optional(),
    memory: z.number().optional(),
    maxOutput: z.number().optional(),
    input: z.array(z.string()).default([]),
    env: z.array(z.string()).default([]),
    stdin: z.string().optional(),
    outDir: z.string().optional(),
    json: z.boolean().default(false),
    raw: z.boolean().default(false),
    unsafeNoSandbox: z.boolean().default(false),
    checks: RunChecksSchema,
  })
  .extend(NetCliOptsSchema.shape);
export type RunCliOpts = z.infer<typeof RunCliOptsSchema>;

export function limitsFrom(
  opts: Pick<RunCliOpts, 'timeout' | 'cpu' | 'memory' | 'maxOutput'>,
): PartialLimits {
  const limits: PartialLimits = {};
  if (opts.timeout !== undefined) limits.timeoutMs = opts.timeout;
  if (opts.cpu !== undefined) limits.cpuMs = opts.cpu;
  if (opts.memory !== undefined) limits.memoryMb = opts.memory;
  if (opts.maxOutput !== undefined) limits.maxOutputBytes = opts.maxOutput;
  return limits;
}

/**
 * The command line's words for errors: each limit by its flag (`--timeout`), a limit above its ceiling as
 * cliCeilingMessage says it, where to look as a command (`scriptbox templates list`).
 */
export const CLI_WORDS: FaceWords = {
  limits: Object.fromEntries(LIMIT_FLAGS.map((f) => [f.key, f.flags.split(' ')[0] ?? `limits.${f.key}`])),
  ceiling: (breach) => cliCeilingMessage(breach),
  see: (see) =>
    see.what === 'templates'
      ? '`scriptbox templates list`'
      : see.what === 'template'
        ? `\`scriptbox templates show ${see.id}\``
        : '`scriptbox scripts list`',
};

/** A limit above its ceiling in the command line's words: the flag that asked for it and how to raise it. */
export function cliCeilingMessage({ limit, requested, ceiling }: CeilingBreach): string {
  const flag = LIMIT_FLAGS.find((f) => f.key === limit)?.flags.split(' ')[0] ?? `limits.${limit}`;
  return (
    `${flag} ${requested} is above the ceiling of ${ceiling} ${LIMIT_UNITS[limit]}; pass at most ` +
    `${flag} ${ceiling}, or raise the ceiling with ${CEILING_ENV[limit]}`
  );
}

/** `python (.py), javascript (.js .mjs .cjs), ...` */
export function describeLanguages(runtimes: RuntimeSpec[]): string {
  return runtimes.map((spec) => `${spec.name} (${spec.extensions.join(' ')})`).join(', ');
}

/** The runtime for a run: --lang when given, else the script file's extension. */
export function chooseRuntime(
  registry: RuntimeRegistry,
  file: string,
  lang: string | undefined,
): RuntimeSpec {
  if (lang !== undefined) return registry.resolve(lang);
  const extension = extname(file);
  const found = extension === '' ? undefined : registry.forExtension(extension);
  if (found) return found;
  const why =
    extension === '' ? 'it has no extension' : `its extension "${extension}" is not one scriptbox knows`;
  throw new UsageError(
    `cannot tell the language of ${file}: ${why}. Pass --lang with one of ${describeLanguages(registry.list())}`,
  );
}
