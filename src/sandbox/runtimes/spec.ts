/**
 * A runtime is data: which interpreter runs a script, how it is launched inside the sandbox,
 * and how its syntax is checked. Users add runtimes by configuration with the same shape.
 */
import { z } from 'zod';

export const RUNNERS = ['python', 'node', 'exec'] as const;
export const PREPARES = ['javascript', 'typescript'] as const;

export const RuntimeSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*$/, 'use lower-case letters, digits, - and _')
      .describe('Name used with --lang'),
    aliases: z.array(z.string()).default([]).describe('Other names accepted for --lang'),
    extensions: z
      .array(z.string().regex(/^\.[A-Za-z0-9]+$/, 'an extension looks like .py'))
      .min(1)
      .describe('File extensions that select this runtime'),
    interpreter: z
      .string()
      .startsWith('/', 'give an absolute path')
      .describe('Absolute path of the interpreter'),
    args: z.array(z.string()).default([]).describe('Interpreter arguments placed before the script file'),
    runner: z
      .enum(RUNNERS)
      .default('exec')
      .describe(
        'Program that starts the script inside the sandbox: python and node are built in; exec runs `interpreter args file`',
      ),
    syntaxCheck: z
      .array(z.string())
      .optional()
      .describe(
        'For the exec runner: argv run on the script file before it runs (e.g. ["/bin/bash", "-n"]); failing means a syntax error',
      ),
    prepare: z
      .enum(PREPARES)
      .optional()
      .describe(
        'Host-side source preparation: javascript (parse, pick module kind) or typescript (strip types, then javascript)',
      ),
    mounts: z
      .array(z.string().startsWith('/'))
      .default([])
      .describe(
        'Extra host paths the interpreter needs, bound read-only at the same place (/usr is always there)',
      ),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables for the script'),
    versionArgs: z
      .array(z.string())
      .default(['--version'])
      .describe('Arguments that make the interpreter print its version'),
  })
  .strict();
export type RuntimeSpec = z.infer<typeof RuntimeSpecSchema>;
export type RuntimeSpecInput = z.input<typeof RuntimeSpecSchema>;
