/**
 * Extra environment variables for one run's script (RunOpts.env). They travel with the job, not with the
 * sandbox (a warm sandbox is started before its job is known): the runner sets them right before the
 * script starts. Names scriptbox sets itself, and names that change how interpreters load code or reach
 * the network, are refused, so a run's variables can never undo the sandbox's own environment.
 */
import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';

export const MAX_ENV_VARS = 64;
/** Most bytes of every `NAME=VALUE` together (UTF-8). */
export const MAX_ENV_BYTES = 65_536;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names scriptbox sets for every script (runtimes/command.ts scriptEnv). */
const SCRIPTBOX_NAMES = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'MPLBACKEND', 'MPLCONFIGDIR'];
/** Names the egress proxy's setup sets (egress-layout.ts), compared without case, like curl does. */
const PROXY_NAMES = ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'];
const CA_NAMES = ['SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'];
/** Files a starting shell reads and runs. */
const SHELL_STARTUP_NAMES = ['BASH_ENV', 'ENV'];
/**
 * Variables bash gives values of its own (read-only, or computed each time it is read): the exec runner
 * (runners/exec.sh, a bash script) could not pass them on as given.
 */
const BASH_OWN_NAMES = [
  'UID',
  'EUID',
  'PPID',
  'RANDOM',
  'SRANDOM',
  'SECONDS',
  'LINENO',
  'EPOCHSECONDS',
  'EPOCHREALTIME',
  'HISTCMD',
  'FUNCNAME',
  'GROUPS',
  'DIRSTACK',
  'OPTIND',
  'SHLVL',
  '_',
];

/** Why `name` cannot be a run's environment variable, in words a user can act on; null when it can. */
export function envNameProblem(name: string): string | null {
  if (!ENV_NAME.test(name))
    return 'not a valid variable name: letters, digits and _, not starting with a digit';
  if (SCRIPTBOX_NAMES.includes(name)) return 'scriptbox sets it for every script';
  if (name.startsWith('SCRIPTBOX_')) return 'SCRIPTBOX_* names are scriptbox’s own';
  if (PROXY_NAMES.includes(name.toLowerCase()))
    return 'the egress proxy sets it; ask for network with the `network` option instead';
  if (CA_NAMES.includes(name))
    return 'it changes which certificates are trusted; scriptbox sets it when the run has network';
  if (name.startsWith('LD_')) return 'LD_* names change how programs load libraries';
  if (name.startsWith('PYTHON')) return 'PYTHON* names change how Python loads code';
  if (name.startsWith('NODE_')) return 'NODE_* names change how Node.js loads code and reaches the network';
  if (SHELL_STARTUP_NAMES.includes(name)) return 'a starting shell runs the file it names';
  if (name.startsWith('BASH') || name === 'SHELLOPTS') return 'it changes how bash runs scripts';
  if (BASH_OWN_NAMES.includes(name))
    return 'bash gives it a value of its own, so it could not reach the script as given';
  return null;
}

/** Why `value` cannot be a variable's value; null when it can. */
export function envValueProblem(value: string): string | null {
  if (value.includes('\0')) return 'the value has a NUL character, which no environment can hold';
  if (/\p{Cs}/u.test(value)) return 'the value is not valid UTF-8 (it has a lone surrogate)';
  return null;
}

/** Bytes of the variables as the runners receive them: `NAME=VALUE` each. */
export function envBytes(env: Readonly<Record<string, string>>): number {
  return Object.entries(env).reduce((sum, [name, value]) => sum + Buffer.byteLength(`${name}=${value}`), 0);
}

export const ScriptEnvSchema = z
  .record(z.string(), z.string())
  .superRefine((env, ctx) => {
    const names = Object.keys(env);
    if (names.length > MAX_ENV_VARS)
      ctx.addIssue({
        code: 'custom',
        message: `${names.length} variables; at most ${MAX_ENV_VARS} may be given`,
      });
    const bytes = envBytes(env);
    if (bytes > MAX_ENV_BYTES)
      ctx.addIssue({
        code: 'custom',
        message: `${bytes} bytes of NAME=VALUE in all; at most ${MAX_ENV_BYTES} may be given`,
      });
    for (const [name, value] of Object.entries(env)) {
      const problem = envNameProblem(name) ?? envValueProblem(value);
      if (problem !== null)
        ctx.addIssue({ code: 'custom', path: [name], message: `${name} is refused: ${problem}` });
    }
  })
  .describe(
    `Extra environment variables for the script (at most ${MAX_ENV_VARS}, ${MAX_ENV_BYTES} bytes in all), ` +
      'set by the runner right before it starts. Refused: names scriptbox sets (PATH, HOME, TMPDIR, LANG, ' +
      'MPLBACKEND, MPLCONFIGDIR, SCRIPTBOX_*), names that change how interpreters load code or reach the ' +
      'network (LD_*, PYTHON*, NODE_*, the proxy variables, SSL_CERT_FILE, SSL_CERT_DIR, ' +
      'REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, ENV, BASH*, SHELLOPTS), and names bash gives values of its own ' +
      '(UID, EUID, PPID, RANDOM, SECONDS, LINENO, SHLVL, _, ...)',
  );
export type ScriptEnv = z.infer<typeof ScriptEnvSchema>;

/**
 * Refuses (InvalidOptionsError) the variables of `env` that the runtime's own configuration sets (its
 * spec's `env`, e.g. GEM_HOME for a configured ruby): a run may not replace them.
 */
export function refuseRuntimeEnv(
  env: Readonly<Record<string, string>> | undefined,
  runtime: { name: string; env: Readonly<Record<string, string>> },
): void {
  const issues = Object.keys(env ?? {})
    .filter((name) => Object.hasOwn(runtime.env, name))
    .map((name) => `env.${name}: ${name} is refused: the ${runtime.name} runtime's configuration sets it`);
  if (issues.length > 0)
    throw new InvalidOptionsError(`invalid run options:\n  ${issues.join('\n  ')}`, issues);
}

/**
 * The variables as a job carries them: `NAME=VALUE\0` each (names have no `=`, values no NUL, so the
 * runners split them without any quoting; bash reads them with `read -d ''`, never eval). Throws on a
 * variable that would break that framing: callers validate with ScriptEnvSchema first.
 */
export function encodeEnv(env: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name) || value.includes('\0'))
      throw new Error(`environment variable ${JSON.stringify(name)} cannot be carried to the runner`);
    parts.push(Buffer.from(`${name}=${value}\0`, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** Most command-line arguments a run may be given, and their bytes in all. */
export const MAX_ARGS = 1_000;
export const MAX_ARGS_BYTES = 128 * 1024;

export const ScriptArgsSchema = z
  .array(
    z
      .string()
      .refine((arg) => !arg.includes('\0'), 'an argument cannot hold a NUL character')
      .refine((arg) => !/\p{Cs}/u.test(arg), 'an argument is not valid UTF-8 (it has a lone surrogate)'),
  )
  .max(MAX_ARGS)
  .refine(
    (args) => args.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0) <= MAX_ARGS_BYTES,
    `the arguments take more than ${MAX_ARGS_BYTES} bytes in all`,
  )
  .describe(
    `Command-line arguments after the script's name (sys.argv[1:], process.argv.slice(2), "$@"; at most ` +
      `${MAX_ARGS}, ${MAX_ARGS_BYTES} bytes in all)`,
  );

/** The arguments as a job carries them: `ARG\0` each (validated with ScriptArgsSchema first). */
export function encodeArgs(args: readonly string[]): Buffer {
  for (const arg of args)
    if (arg.includes('\0')) throw new Error('an argument cannot be carried to the runner');
  return Buffer.from(args.map((arg) => `${arg}\0`).join(''), 'utf8');
}
