/**
 * Piston's execute API (https://github.com/engineer-man/piston, v2) mapped onto the engine: its request
 * checks with its own messages, its limits converted to scriptbox limits, its answer built from a RunResult.
 * This is a foreign wire format, so its schema is written here from Piston's documentation.
 */
import { execFile } from 'node:child_process';
import { z } from 'zod';
import { CEILING_ENV } from '../../config.js';
import type { CeilingBreach } from '../../engine/ceilings.js';
import type { FaceWords } from '../../engine/face-words.js';
import { PartialLimitsSchema, type PartialLimits } from '../../engine/options.js';
import type { RunResult } from '../../engine/result.js';
import type { RuntimeSpec } from '../../sandbox/runtimes/spec.js';
import { InvalidOptionsError } from '../../errors.js';

export const PistonFileSchema = z.object({
  name: z.string().optional().describe('File name; the first file is the one run, the others are inputs'),
  content: z.string().describe('File content'),
  encoding: z.enum(['utf8', 'base64', 'hex']).default('utf8').describe('How content is written'),
});

export const PistonExecuteSchema = z.object({
  language: z.string().min(1).describe('Language name or alias (python, py, javascript, js, node, ...)'),
  version: z.string().min(1).describe('SemVer selector; scriptbox runs its one version whatever is asked'),
  files: z.array(PistonFileSchema).min(1).describe('The first is the program; the rest its input files'),
  stdin: z.string().default('').describe('Text given on standard input'),
  args: z
    .array(z.string())
    .default([])
    .describe('Command-line arguments (python, javascript, typescript, bash: set before the script runs)'),
  compile_timeout: z.number().optional().describe('Ignored: nothing is compiled'),
  run_timeout: z.number().optional().describe('Wall-clock limit in milliseconds'),
  compile_cpu_time: z.number().optional().describe('Ignored: nothing is compiled'),
  run_cpu_time: z.number().optional().describe('CPU time limit in milliseconds'),
  compile_memory_limit: z.number().optional().describe('Ignored: nothing is compiled'),
  run_memory_limit: z.number().optional().describe('Memory limit in bytes; -1 for the default'),
});
export type PistonExecute = z.output<typeof PistonExecuteSchema>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first problem with a request, worded as Piston words it; null when there is none. */
export function pistonProblem(body: unknown): string | null {
  if (!isObject(body)) return 'the request body must be a JSON object';
  const { language, version, files, stdin, args } = body;
  if (typeof language !== 'string' || language === '') return 'language is required as a string';
  if (typeof version !== 'string' || version === '') return 'version is required as a string';
  if (!Array.isArray(files)) return 'files is required as an array';
  if (files.length === 0) return 'files must contain at least one file';
  for (const [i, file] of files.entries()) {
    if (!isObject(file) || typeof file['content'] !== 'string')
      return `files[${i}].content is required as a string`;
    const encoding = file['encoding'];
    if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'base64' && encoding !== 'hex')
      return `files[${i}].encoding must be one of utf8, base64, hex`;
    if (file['name'] !== undefined && typeof file['name'] !== 'string')
      return `files[${i}].name must be a string`;
  }
  if (stdin !== undefined && typeof stdin !== 'string') return 'stdin must be a string';
  if (args !== undefined && (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string')))
    return 'args must be an array of strings';
  for (const type of ['compile', 'run']) {
    for (const constraint of ['timeout', 'cpu_time', 'memory_limit']) {
      const name = `${type}_${constraint}`;
      const value = body[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `If specified, ${name} must be a number`;
      if (value < 0 && !(value === -1 && constraint === 'memory_limit'))
        return `${name} must be non-negative`;
    }
  }
  return null;
}

/** Each limit Piston has, by its Piston name: what messages about a limit say on the Piston routes. */
const PISTON_NAMES: Partial<Record<keyof PartialLimits, string>> = {
  timeoutMs: 'run_timeout',
  cpuMs: 'run_cpu_time',
  memoryMb: 'run_memory_limit',
};

/**
 * Piston's words for a limit above the server's ceiling (as Piston says it for its configured limits), in
 * the request's units: bytes for run_memory_limit.
 */
export function pistonCeilingMessage({ limit, ceiling }: CeilingBreach): string {
  const name = PISTON_NAMES[limit] ?? `limits.${limit}`;
  const value = limit === 'memoryMb' ? ceiling * 1_048_576 : ceiling;
  const unit = limit === 'memoryMb' ? ` MiB` : limit === 'timeoutMs' || limit === 'cpuMs' ? ' ms' : '';
  return (
    `${name} cannot exceed the configured limit of ${value} (the server's ceiling ` +
    `${CEILING_ENV[limit]}=${ceiling}${unit})`
  );
}

/** How the Piston routes name the limits in their errors (sendError in errors.ts applies it). */
export const PISTON_WORDS: FaceWords = {
  limits: PISTON_NAMES,
  ceiling: pistonCeilingMessage,
  units: { memoryMb: 'checked in MiB: the bytes asked for, rounded up' },
};

const PistonLimitsSchema = z.object({ limits: PartialLimitsSchema });

/**
 * The run limits a request asks for; one scriptbox cannot give throws InvalidOptionsError naming
 * `limits.<name>`, which the Piston routes say with Piston's name (run_timeout).
 */
export function pistonLimits(req: PistonExecute): PartialLimits {
  const wanted: Record<string, number> = {};
  if (req.run_timeout) wanted['timeoutMs'] = Math.ceil(req.run_timeout);
  if (req.run_cpu_time) wanted['cpuMs'] = Math.ceil(req.run_cpu_time);
  if (req.run_memory_limit !== undefined && req.run_memory_limit > 0)
    wanted['memoryMb'] = Math.ceil(req.run_memory_limit / 1_048_576);
  const parsed = PistonLimitsSchema.safeParse({ limits: wanted });
  if (parsed.success) return parsed.data.limits;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new InvalidOptionsError(issues.join('; '), issues);
}

/** The file contents of a request as bytes or text. */
export function pistonContent(file: z.output<typeof PistonFileSchema>): string | Buffer {
  if (file.encoding === 'base64') return Buffer.from(file.content, 'base64');
  if (file.encoding === 'hex') return Buffer.from(file.content, 'hex');
  return file.content;
}

/** Piston's status letters: runtime error, signal, timeout, output limit, internal. */
function pistonStatus(result: RunResult): string | null {
  if (result.ok) return null;
  switch (result.error?.kind) {
    case 'timeout':
    case 'cpu':
      return 'TO';
    case 'output_limit':
      return result.truncated.stderr && !result.truncated.stdout ? 'EL' : 'OL';
    case 'memory':
    case 'processes':
    case 'disk':
    case 'cancelled':
      return 'SG';
    case 'sandbox':
      return 'XX';
    default:
      return result.signal !== null ? 'SG' : 'RE';
  }
}

export const PistonRunSchema = z.object({
  stdout: z.string(),
  stderr: z.string(),
  output: z.string().describe('stdout and stderr in the order they arrived'),
  code: z.number().int().nullable().describe('The exit code; null when a signal ended the program'),
  signal: z.string().nullable(),
  message: z.string().nullable().describe('Why the run failed; null when it did not'),
  status: z
    .string()
    .nullable()
    .describe('RE runtime error, SG signal, TO timeout, OL/EL output limit, XX internal; null when ok'),
  cpu_time: z.number().describe('CPU time in milliseconds'),
  wall_time: z.number().describe('Wall-clock time in milliseconds'),
  memory: z.number().describe('Peak memory in bytes'),
});
export type PistonRun = z.infer<typeof PistonRunSchema>;

/** What POST /api/v2/execute answers. */
export const PistonExecuteResultSchema = z
  .object({
    language: z.string(),
    version: z.string().describe('The interpreter version that ran it'),
    run: PistonRunSchema,
  })
  .describe("Piston's answer: the run stage of the program");

/** What GET /api/v2/runtimes answers. */
export const PistonRuntimesSchema = z
  .array(
    z.object({
      language: z.string(),
      version: z.string(),
      aliases: z.array(z.string()),
      runtime: z.string().optional().describe('node for the languages run by Node.js'),
    }),
  )
  .describe('The runtimes, as Piston lists them');

/** Piston's `run` stage from a result; `output` is both streams in the order they arrived. */
export function pistonRun(result: RunResult, interleaved: string): PistonRun {
  // Errors found before anything ran (syntax, checks, sandbox) have no stderr: say them there.
  const stderr =
    result.stderr === '' && result.error && result.exitCode === null && result.signal === null
      ? `${result.error.message}\n`
      : result.stderr;
  const limitKill = result.error !== null && ['timeout', 'cpu', 'memory'].includes(result.error.kind);
  const signal = result.signal ?? (limitKill ? 'SIGKILL' : null);
  const output =
    stderr === result.stderr
      ? interleaved.slice(0, result.stdout.length + stderr.length)
      : interleaved + stderr;
  return {
    stdout: result.stdout,
    stderr,
    output,
    code: result.exitCode ?? (signal === null ? 1 : null),
    signal,
    message: result.ok ? null : (result.error?.message ?? `exit code ${result.exitCode}`),
    status: pistonStatus(result),
    cpu_time: result.usage.cpuMs,
    wall_time: result.usage.wallMs,
    memory: result.usage.peakMemoryBytes,
  };
}

/** Interpreter versions (`python3 --version` → 3.11.2), asked once per runtime and kept. */
export class RuntimeVersions {
  private readonly known = new Map<string, Promise<string>>();

  get(spec: RuntimeSpec): Promise<string> {
    const key = `${spec.interpreter}\0${spec.versionArgs.join('\0')}`;
    let version = this.known.get(key);
    if (!version) {
      version = askVersion(spec.interpreter, spec.versionArgs);
      this.known.set(key, version);
    }
    return version;
  }
}

function askVersion(file: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(file, args, { env: {}, timeout: 5_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const found = /(\d+\.\d+(?:\.\d+)?)/.exec(`${stdout}\n${stderr}`);
      resolve(err || !found?.[1] ? '0.0.0' : found[1]);
    });
  });
}
