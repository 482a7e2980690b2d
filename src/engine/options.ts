/**
 * Schema-first options: each options object is one zod schema with a description on every field;
 * TypeScript types are inferred from the schemas. Validation errors list each problem with its path.
 */
import { z } from 'zod';
import { NetworkGrantRequestSchema, NetworkPolicySchema } from '../network/policy.js';
import type { EgressEvent } from '../network/proxy.js';
import { LimitsSchema, PartialLimitsSchema, type Limits } from '../sandbox/limits.js';
import { SandboxOptsSchema } from '../sandbox/options.js';
import { ScriptArgsSchema, ScriptEnvSchema } from '../sandbox/script-env.js';
import { RuntimeSpecSchema } from '../sandbox/runtimes/spec.js';

// The limits and the sandbox settings are the sandbox's (sandbox/limits.ts, sandbox/options.ts); the
// engine's options embed them, and the public API takes them from here.
export {
  DEFAULT_LIMITS,
  LimitsSchema,
  PartialLimitsSchema,
  type Limits,
  type PartialLimits,
} from '../sandbox/limits.js';
export { SandboxOptsSchema, UidRangeSchema, type SandboxOpts } from '../sandbox/options.js';
export { MAX_ENV_BYTES, MAX_ENV_VARS, ScriptEnvSchema, type ScriptEnv } from '../sandbox/script-env.js';

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

/** The default memory ceiling is this share of the host's RAM (os.totalmem()), at most MEMORY_CEILING_CAP_MB. */
export const MEMORY_CEILING_SHARE = 0.5;
export const MEMORY_CEILING_CAP_MB = 16_384;

/** Default server-wide ceilings, but memory's (see defaultCeilings): what no run may ask more than. */
export const DEFAULT_CEILINGS = {
  timeoutMs: 600_000,
  cpuMs: 600_000,
  maxProcesses: 1024,
  maxOutputBytes: 64 * 1_048_576,
  diskMb: 4096,
  maxOutFiles: 10_000,
  maxOutBytes: 1_073_741_824,
} as const;

/** Default ceilings on a host with `totalMemBytes` of RAM: memory min(50% of it, 16 GiB), in whole MiB. */
export function defaultCeilings(totalMemBytes: number): Limits {
  const share = Math.floor((totalMemBytes * MEMORY_CEILING_SHARE) / 1_048_576);
  // Never under the schema's minimum of 8 MiB, whatever the host reports.
  return { ...DEFAULT_CEILINGS, memoryMb: Math.max(8, Math.min(MEMORY_CEILING_CAP_MB, share)) };
}

const ceilingOf = (what: string, fallback: string): string =>
  `Highest ${what} any run, session or batch item may ask for (default ${fallback})`;

/** Server-wide ceilings: each is the most a request may ask for that limit; a request above it is refused. */
export const CeilingsSchema = z
  .object({
    timeoutMs: LimitsSchema.shape.timeoutMs.describe(
      ceilingOf('limits.timeoutMs', `${DEFAULT_CEILINGS.timeoutMs} ms`),
    ),
    cpuMs: LimitsSchema.shape.cpuMs.describe(ceilingOf('limits.cpuMs', `${DEFAULT_CEILINGS.cpuMs} ms`)),
    memoryMb: LimitsSchema.shape.memoryMb.describe(
      ceilingOf(
        'limits.memoryMb',
        `${MEMORY_CEILING_SHARE * 100}% of the host's RAM, at most ${MEMORY_CEILING_CAP_MB} MiB`,
      ),
    ),
    maxProcesses: LimitsSchema.shape.maxProcesses.describe(
      ceilingOf('limits.maxProcesses', `${DEFAULT_CEILINGS.maxProcesses}`),
    ),
    maxOutputBytes: LimitsSchema.shape.maxOutputBytes.describe(
      ceilingOf('limits.maxOutputBytes', `${DEFAULT_CEILINGS.maxOutputBytes} bytes`),
    ),
    diskMb: LimitsSchema.shape.diskMb.describe(ceilingOf('limits.diskMb', `${DEFAULT_CEILINGS.diskMb} MiB`)),
    maxOutFiles: LimitsSchema.shape.maxOutFiles.describe(
      ceilingOf('limits.maxOutFiles', `${DEFAULT_CEILINGS.maxOutFiles}`),
    ),
    maxOutBytes: LimitsSchema.shape.maxOutBytes.describe(
      ceilingOf('limits.maxOutBytes', `${DEFAULT_CEILINGS.maxOutBytes} bytes`),
    ),
  })
  .partial()
  .strict();
export type Ceilings = z.infer<typeof CeilingsSchema>;

/** Defaults of `inlineFiles`: which out/ files come back with their bytes in the result. */
export const DEFAULT_INLINE_FILES = { maxFileBytes: 1_048_576, maxTotalBytes: 8 * 1_048_576 } as const;

/**
 * Which files a script wrote under out/ come back with their content (base64) in the result: files up to
 * maxFileBytes, in path order, while the inlined ones total at most maxTotalBytes. The others (within
 * limits.maxOutFiles and limits.maxOutBytes) are listed without content (the HTTP API gives them a `url`).
 */
export const InlineFilesSchema = z
  .object({
    maxFileBytes: z
      .number()
      .int()
      .min(0)
      .max(17_179_869_184)
      .describe(
        `Largest out/ file returned with its content, in bytes; 0 returns none (default ${DEFAULT_INLINE_FILES.maxFileBytes}, 1 MiB)`,
      ),
    maxTotalBytes: z
      .number()
      .int()
      .min(0)
      .max(17_179_869_184)
      .describe(
        `Most bytes of out/ files returned with their content per run (default ${DEFAULT_INLINE_FILES.maxTotalBytes}, 8 MiB)`,
      ),
  })
  .partial()
  .strict();
export type InlineFiles = z.infer<typeof InlineFilesSchema>;

/** Bytes from any source (Buffer included). */
const BytesSchema = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array,
  'expected a string or bytes',
);

const TextCallbackSchema = z.custom<(text: string) => void>(
  (value) => typeof value === 'function',
  'expected a function',
);

const NetworkCallbackSchema = z.custom<(event: EgressEvent) => void>(
  (value) => typeof value === 'function',
  'expected a function',
);

/** Streaming callbacks shared by one-shot and session runs. */
export const StreamCallbacksShape = {
  onStdout: TextCallbackSchema.optional().describe('Called with stdout text as the script produces it'),
  onStderr: TextCallbackSchema.optional().describe('Called with stderr text as the script produces it'),
  onNetwork: NetworkCallbackSchema.optional().describe(
    "Called with each of the egress proxy's decisions for this run (destination, allowed or refused and " +
      'why, bytes; never payloads), when the run was granted network: what an audit log records',
  ),
};

/** A file given inline: a name and its content. */
const InlineFileSchema = z
  .object({
    name: z.string().min(1).describe('Base name the file gets in the work dir'),
    content: z.union([z.string(), BytesSchema]).describe('File content'),
  })
  .strict();

export const InputFileSchema = z.union([
  z
    .object({ path: z.string().min(1).describe('Host path of a file to place read-only in the work dir') })
    .strict(),
  InlineFileSchema,
]);
export type InputFile = z.infer<typeof InputFileSchema>;

/** base64 as Buffer.from(text, 'base64') reads it whole: groups of four, `=` padding only at the end. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Refuses `content` that is not base64 when `encoding` says base64 (for schemas that extend EncodedFile's). */
export function base64Check(
  file: { content: string; encoding?: 'utf8' | 'base64' },
  ctx: z.RefinementCtx,
): void {
  if (file.encoding === 'base64' && !BASE64.test(file.content))
    ctx.addIssue({
      code: 'custom',
      path: ['content'],
      message: 'not valid base64 (groups of A-Z a-z 0-9 + /, = padding)',
    });
}

/**
 * An inline input file as JSON carries it (HTTP bodies, tool calls): text, or bytes as base64. No host
 * paths: a remote caller never names host files. decodeFile() turns it into an InputFile.
 */
export const EncodedFileSchema = InlineFileSchema.extend({
  content: z.string().describe('File content: text, or base64 when `encoding` is base64'),
  encoding: z
    .enum(['utf8', 'base64'])
    .default('utf8')
    .describe('How `content` is written: utf8 text (default) or base64 bytes'),
}).superRefine(base64Check);
export type EncodedFile = z.output<typeof EncodedFileSchema>;

/** Most files one JSON request (an HTTP body, a tool call) may carry. */
export const MAX_ENCODED_FILES = 100;

/** A `files` option (InputFiles) as JSON carries it: EncodedFiles, with the option's own description. */
export function encodedFilesOf(option: z.ZodType): z.ZodOptional<z.ZodArray<typeof EncodedFileSchema>> {
  return z
    .array(EncodedFileSchema)
    .max(MAX_ENCODED_FILES)
    .optional()
    .describe(option.description ?? 'Input files');
}

/** The file's content as text or bytes. */
export function decodeContent(file: EncodedFile): string | Buffer {
  return file.encoding === 'base64' ? Buffer.from(file.content, 'base64') : file.content;
}

/** An encoded file as the engine takes it: `{ name, content }`. */
export function decodeFile(file: EncodedFile): { name: string; content: string | Buffer } {
  return { name: file.name, content: decodeContent(file) };
}

const STDIN = 'Data given to the script on standard input (empty when absent)';
/** stdin as text: what JSON (HTTP bodies, tool calls) carries. */
export const TextStdinSchema = z.string().describe(STDIN);
/** stdin of a run: text or bytes. */
export const StdinSchema = z.union([TextStdinSchema, BytesSchema]).describe(STDIN);

export const RunOptsSchema = z
  .object({
    language: z
      .string()
      .min(1)
      .describe('Runtime name or alias: python, javascript, typescript, bash, or a configured one'),
    source: z.string().describe('The script source code'),
    stdin: StdinSchema.optional(),
    env: ScriptEnvSchema.optional(),
    args: ScriptArgsSchema.optional(),
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
    inlineFiles: InlineFilesSchema.optional().describe(
      "Which out/ files come back with their content (base64); unset fields come from the engine's",
    ),
    signal: z
      .instanceof(AbortSignal)
      .optional()
      .describe('Aborting it cancels the run and kills its processes'),
    network: NetworkGrantRequestSchema.optional().describe(
      "Network for this run: destinations it may reach through the host's egress proxy (within the " +
        "engine's network policy, else NetworkNotPermittedError); default none",
    ),
    ...StreamCallbacksShape,
  })
  .strict();
export type RunOpts = z.infer<typeof RunOptsSchema>;

export const EngineOptsSchema = z
  .object({
    limits: PartialLimitsSchema.optional().describe(
      'Default limits for every run of this engine; each must be at most its ceiling',
    ),
    ceilings: CeilingsSchema.optional().describe(
      'Server-wide ceilings: no run, session or batch may ask for a limit above them (unset ones come ' +
        'from SCRIPTBOX_MAX_* or the defaults)',
    ),
    runtimes: z
      .array(RuntimeSpecSchema)
      .optional()
      .describe('Extra runtimes, or replacements for built-in ones by name'),
    sandbox: SandboxOptsSchema.partial().optional().describe('Sandbox settings'),
    pool: PoolOptsSchema.optional().describe(
      `Warm sandboxes for one-shot runs (default ${JSON.stringify(DEFAULT_POOL)})`,
    ),
    inlineFiles: InlineFilesSchema.optional().describe(
      'Which out/ files come back with their content (base64) in the results of engine.run and batches ' +
        `(default ${JSON.stringify(DEFAULT_INLINE_FILES)}); a run's own inlineFiles overrides it`,
    ),
    unsafeNoSandbox: z
      .boolean()
      .optional()
      .describe('Run scripts without any isolation. Dangerous: only for trusted code on a throwaway machine'),
    network: NetworkPolicySchema.optional().describe(
      "The widest network any run or session may be granted (the operator's policy); default none: a " +
        'request for network is refused',
    ),
  })
  .strict();
/** What callers pass (runtime fields with defaults may be omitted). */
export type EngineOpts = z.input<typeof EngineOptsSchema>;
export type ParsedEngineOpts = z.output<typeof EngineOptsSchema>;
