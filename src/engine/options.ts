/**
 * Schema-first options: each options object is one zod schema with a description on every field;
 * TypeScript types are inferred from the schemas. Validation errors list each problem with its path.
 */
import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';
import { RuntimeSpecSchema } from '../sandbox/runtimes/spec.js';

export const DEFAULT_LIMITS = {
  timeoutMs: 10_000,
  cpuMs: 10_000,
  memoryMb: 256,
  maxProcesses: 64,
  maxOutputBytes: 1_048_576,
  diskMb: 64,
  maxOutFiles: 100,
  maxOutBytes: 32 * 1_048_576,
} as const;

/** A Python module name, as `preload` lists take them. */
export const ModuleNameSchema = z
  .string()
  .regex(/^[A-Za-z_][\w.]*$/, 'a Python module name, like pandas or matplotlib.pyplot');

export const PoolOptsSchema = z
  .object({
    size: z
      .number()
      .int()
      .min(0)
      .max(64)
      .describe(
        'Sandboxes kept started and waiting per runtime, so one-shot runs skip start-up; 0 disables the pool',
      ),
    preload: z
      .array(ModuleNameSchema)
      .describe(
        'Python modules the waiting python sandboxes import ahead, so one-shot runs do not pay for them',
      ),
    refill: z
      .enum(['auto', 'manual'])
      .describe(
        'auto: start a replacement after each run that used the pool; manual: only engine.warm() refills',
      ),
  })
  .partial()
  .strict();
export type PoolOpts = z.infer<typeof PoolOptsSchema>;
export const DEFAULT_POOL: Required<PoolOpts> = { size: 1, preload: [], refill: 'auto' };

export const LimitsSchema = z
  .object({
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .describe(
        'Wall-clock limit for the whole run in milliseconds; the process tree is killed when it passes',
      ),
    cpuMs: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .describe('CPU time limit in milliseconds, summed over every process of the run'),
    memoryMb: z
      .number()
      .int()
      .min(8)
      .max(65_536)
      .describe(
        'Memory limit in MiB (cgroup memory limit, swap off); files written to the work dir count too',
      ),
    maxProcesses: z
      .number()
      .int()
      .min(2)
      .max(4096)
      .describe('Maximum number of processes and threads alive at once (pids cgroup)'),
    maxOutputBytes: z
      .number()
      .int()
      .min(0)
      .max(1_073_741_824)
      .describe('Maximum bytes kept from each of stdout and stderr; the run is stopped when one exceeds it'),
    diskMb: z.number().int().min(1).max(65_536).describe('Size cap in MiB of the work directory and of /tmp'),
    maxOutFiles: z.number().int().min(0).max(100_000).describe('Maximum number of files returned from out/'),
    maxOutBytes: z
      .number()
      .int()
      .min(0)
      .max(17_179_869_184)
      .describe('Maximum total bytes of files returned from out/'),
  })
  .strict();
export type Limits = z.infer<typeof LimitsSchema>;
export const PartialLimitsSchema = LimitsSchema.partial();
export type PartialLimits = z.infer<typeof PartialLimitsSchema>;

/** Bytes from any source (Buffer included). */
const BytesSchema = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array,
  'expected a string or bytes',
);

const TextCallbackSchema = z.custom<(text: string) => void>(
  (value) => typeof value === 'function',
  'expected a function',
);

/** Streaming callbacks shared by one-shot and session runs. */
export const StreamCallbacksShape = {
  onStdout: TextCallbackSchema.optional().describe('Called with stdout text as the script produces it'),
  onStderr: TextCallbackSchema.optional().describe('Called with stderr text as the script produces it'),
};

export const InputFileSchema = z.union([
  z
    .object({ path: z.string().min(1).describe('Host path of a file to place read-only in the work dir') })
    .strict(),
  z
    .object({
      name: z.string().min(1).describe('Base name the file gets in the work dir'),
      content: z.union([z.string(), BytesSchema]).describe('File content'),
    })
    .strict(),
]);
export type InputFile = z.infer<typeof InputFileSchema>;

export const RunOptsSchema = z
  .object({
    language: z
      .string()
      .min(1)
      .describe('Runtime name or alias: python, javascript, typescript, bash, or a configured one'),
    source: z.string().describe('The script source code'),
    stdin: z
      .union([z.string(), BytesSchema])
      .optional()
      .describe('Data given to the script on standard input (empty when absent)'),
    files: z
      .array(InputFileSchema)
      .optional()
      .describe('Input files, placed read-only in the work dir under their base names'),
    limits: PartialLimitsSchema.optional().describe(
      'Per-run limits; unset ones come from the engine defaults',
    ),
    outDir: z
      .string()
      .optional()
      .describe('Host directory to copy files the script wrote under out/ into (created if missing)'),
    signal: z
      .instanceof(AbortSignal)
      .optional()
      .describe('Aborting it cancels the run and kills its processes'),
    ...StreamCallbacksShape,
  })
  .strict();
export type RunOpts = z.infer<typeof RunOptsSchema>;

export const SandboxOptsSchema = z
  .object({
    bwrapPath: z.string().describe('Path of the bubblewrap binary'),
    hostUid: z
      .number()
      .int()
      .min(1)
      .nullable()
      .describe(
        'Unprivileged host uid that runs bwrap when scriptbox runs as root (null: keep the caller uid)',
      ),
    hostGid: z.number().int().min(1).nullable().describe('Host gid paired with hostUid'),
  })
  .strict();
export type SandboxOpts = z.infer<typeof SandboxOptsSchema>;

export const EngineOptsSchema = z
  .object({
    limits: PartialLimitsSchema.optional().describe('Default limits for every run of this engine'),
    runtimes: z
      .array(RuntimeSpecSchema)
      .optional()
      .describe('Extra runtimes, or replacements for built-in ones by name'),
    sandbox: SandboxOptsSchema.partial().optional().describe('Sandbox settings'),
    pool: PoolOptsSchema.optional().describe(
      `Warm sandboxes for one-shot runs (default ${JSON.stringify(DEFAULT_POOL)})`,
    ),
    unsafeNoSandbox: z
      .boolean()
      .optional()
      .describe('Run scripts without any isolation. Dangerous: only for trusted code on a throwaway machine'),
  })
  .strict();
/** What callers pass (runtime fields with defaults may be omitted). */
export type EngineOpts = z.input<typeof EngineOptsSchema>;
export type ParsedEngineOpts = z.output<typeof EngineOptsSchema>;

/** Parses `value` with `schema`, or throws InvalidOptionsError listing every problem as `path: message`. */
export function parseOptions<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new InvalidOptionsError(`invalid ${what}:\n  ${issues.join('\n  ')}`, issues);
}
