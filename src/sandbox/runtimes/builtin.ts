import { RuntimeSpecSchema, type RuntimeSpec, type RuntimeSpecInput } from './spec.js';

/** Debian's python3 carries the apt data libraries (pandas, numpy, scipy, sklearn, matplotlib). */
export const DEFAULT_PYTHON = '/usr/bin/python3';

const BUILTIN: RuntimeSpecInput[] = [
  {
    name: 'python',
    aliases: ['py', 'python3'],
    extensions: ['.py'],
    interpreter: DEFAULT_PYTHON,
    // -I: ignore PYTHON* variables and the user site; -S: skip site.py (the runner adds dist-packages itself).
    args: ['-I', '-S'],
    runner: 'python',
  },
  {
    name: 'javascript',
    aliases: ['js', 'node'],
    extensions: ['.js', '.mjs', '.cjs'],
    interpreter: '/usr/bin/node',
    runner: 'node',
    prepare: 'javascript',
  },
  {
    name: 'typescript',
    aliases: ['ts'],
    extensions: ['.ts', '.mts', '.cts'],
    interpreter: '/usr/bin/node',
    runner: 'node',
    prepare: 'typescript',
  },
  {
    name: 'bash',
    aliases: ['sh', 'shell'],
    extensions: ['.sh', '.bash'],
    interpreter: '/bin/bash',
    args: ['--noprofile', '--norc'],
    runner: 'exec',
    syntaxCheck: ['/bin/bash', '--noprofile', '--norc', '-n'],
  },
];

export function builtinRuntimes(): RuntimeSpec[] {
  return BUILTIN.map((spec) => RuntimeSpecSchema.parse(spec));
}
