/**
 * `scriptbox doctor`'s checks of the toolchains instrumented trees are built and tested with: one check per
 * program (go, gcc, g++, javac, rustc, cargo, ruby, node, python3), never required — instrumenting needs
 * none of them (insertions run in the sandbox), only building and testing the instrumented code does, and
 * the build tests skip a language whose toolchain is missing, naming this check. Each failing check says
 * which Debian/Ubuntu package to install.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { check, messageOf, type SelfTestCheck } from '../../sandbox/self-test-check.js';

export interface Toolchain {
  /** The program looked up on PATH. */
  program: string;
  /** What it builds or runs. */
  languages: string;
  versionArgs: string[];
  /** The Debian/Ubuntu package that provides it. */
  apt: string;
}

export const TOOLCHAINS: readonly Toolchain[] = [
  { program: 'go', languages: 'Go', versionArgs: ['version'], apt: 'golang-go' },
  { program: 'gcc', languages: 'C', versionArgs: ['--version'], apt: 'gcc' },
  { program: 'g++', languages: 'C++', versionArgs: ['--version'], apt: 'g++' },
  { program: 'javac', languages: 'Java', versionArgs: ['-version'], apt: 'default-jdk-headless' },
  { program: 'rustc', languages: 'Rust', versionArgs: ['--version'], apt: 'rustc' },
  { program: 'cargo', languages: 'Rust', versionArgs: ['--version'], apt: 'cargo' },
  { program: 'ruby', languages: 'Ruby', versionArgs: ['--version'], apt: 'ruby' },
  { program: 'node', languages: 'JavaScript, TypeScript', versionArgs: ['--version'], apt: 'nodejs' },
  { program: 'python3', languages: 'Python', versionArgs: ['--version'], apt: 'python3' },
];

/** The executable `program` on PATH (or at its own path when it has a `/`), or null. */
export function findOnPath(program: string, path = process.env['PATH'] ?? ''): string | null {
  const candidates = program.includes('/')
    ? [program]
    : path
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** The first line `file args` prints (stdout, else stderr), run with this process's environment. */
function versionOf(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const line = `${stdout}\n${stderr}`
        .split('\n')
        .find((text) => text.trim() !== '')
        ?.trim();
      if (err) reject(new Error(err.killed ? `no answer within ${timeoutMs} ms` : (line ?? err.message)));
      else resolve(line ?? '(no version output)');
    });
  });
}

async function toolchainCheck(toolchain: Toolchain, timeoutMs: number): Promise<SelfTestCheck> {
  const name = `toolchain ${toolchain.program}`;
  const fix =
    `apt-get install ${toolchain.apt} (or put ${toolchain.program} on PATH); needed only to build and ` +
    `test instrumented ${toolchain.languages} code, which its build tests skip without it`;
  const found = findOnPath(toolchain.program);
  if (found === null) return check(name, false, `${toolchain.program} is not on PATH`, fix, false);
  try {
    const version = await versionOf(found, toolchain.versionArgs, timeoutMs);
    return check(name, true, `${found}: ${version} (for ${toolchain.languages})`, fix, false);
  } catch (err) {
    return check(
      name,
      false,
      `${[found, ...toolchain.versionArgs].join(' ')} failed: ${messageOf(err)}`,
      fix,
      false,
    );
  }
}

/** One optional check per toolchain, run side by side. */
export function toolchainChecks(
  toolchains: readonly Toolchain[] = TOOLCHAINS,
  timeoutMs = 15_000,
): Promise<SelfTestCheck[]> {
  return Promise.all(toolchains.map((toolchain) => toolchainCheck(toolchain, timeoutMs)));
}
