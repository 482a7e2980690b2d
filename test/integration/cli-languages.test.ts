/**
 * Contract tests for `scriptbox run` per language and per limit: each extension picks its runtime,
 * syntax errors are rejected before running (exit 4, with the line), limits end the run (exit 3).
 * (The full JSON schema is pinned in cli.test.ts; here only the fields under test are read.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli as runProcess, type CliRun } from './cli-process.js';
import { z } from 'zod';

function runCli(args: string[]): Promise<CliRun> {
  return runProcess(args, { cwd: dir });
}

const ResultSchema = z.object({
  ok: z.boolean(),
  language: z.string(),
  stdout: z.string(),
  truncated: z.object({ stdout: z.boolean(), stderr: z.boolean() }),
  error: z.object({ kind: z.string(), message: z.string(), line: z.number().optional() }).nullable(),
  usage: z.object({ wallMs: z.number(), cpuMs: z.number(), peakMemoryBytes: z.number() }),
});

/** Writes `source` as `name`, runs it with --json and the extra args; returns the exit code and result. */
async function runScript(name: string, source: string, extra: string[] = []) {
  const path = join(dir, name);
  writeFileSync(path, source);
  const run = await runCli(['run', path, '--json', ...extra]);
  return { code: run.code, result: ResultSchema.parse(JSON.parse(run.stdout)) };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-cli-lang-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the file extension picks the runtime', () => {
  test.each([
    ['script.py', 'python', 'import sys\nprint(sys.version_info[0] + 39)\n'],
    ['script.js', 'javascript', 'const n = require("node:os").EOL.length;\nconsole.log(41 + n);\n'],
    ['script.mjs', 'javascript', 'const n = await Promise.resolve(42);\nconsole.log(n);\n'],
    ['script.ts', 'typescript', 'const n: number = 42;\nconst s: string = n;\nconsole.log(s);\n'],
    ['script.sh', 'bash', 'set -euo pipefail\necho $(( 6 * 7 )) | cat\n'],
  ])('%s runs as %s', async (name, language, source) => {
    const { code, result } = await runScript(name, source);
    expect(result.error).toBeNull();
    expect(code).toBe(0);
    expect(result.language).toBe(language);
    expect(result.stdout).toBe('42\n');
  });
});

test('--lang runs a file whose extension says nothing (aliases work too)', async () => {
  const { code, result } = await runScript('notes.txt', 'print("as python")\n', ['--lang', 'py']);
  expect(code).toBe(0);
  expect(result.language).toBe('python');
  expect(result.stdout).toBe('as python\n');
});

describe('syntax errors are rejected before running: exit 4, kind syntax, with the line', () => {
  test.each([
    ['bad.py', 'print("ran")\nx = (1 +\n'],
    ['bad.js', 'console.log("ran");\nlet = = 2;\n'],
    ['bad.ts', 'console.log("ran");\nconst n: number = ;\n'],
    ['bad.sh', 'echo ran\nif then fi\n'],
  ])('%s', async (name, source) => {
    const { code, result } = await runScript(name, source);
    expect(code).toBe(4);
    expect(result.error?.kind).toBe('syntax');
    expect(result.error?.line).toBe(2);
    expect(result.stdout).toBe(''); // line 1 never ran
  });
});

describe('limits end the run: exit 3 with the limit kind', () => {
  test('--timeout: an endless sleep is killed at the wall-clock limit', async () => {
    const { code, result } = await runScript('sleep.py', 'import time\ntime.sleep(60)\n', [
      '--timeout',
      '600',
    ]);
    expect(code).toBe(3);
    expect(result.error?.kind).toBe('timeout');
    expect(result.usage.wallMs).toBeGreaterThanOrEqual(600);
    expect(result.usage.wallMs).toBeLessThan(10_000);
  });

  test('--cpu: a busy loop is killed at the CPU limit', async () => {
    const { code, result } = await runScript('spin.py', 'while True:\n    pass\n', [
      '--cpu',
      '300',
      '--timeout',
      '20000',
    ]);
    expect(code).toBe(3);
    expect(result.error?.kind).toBe('cpu');
    expect(result.usage.cpuMs).toBeGreaterThanOrEqual(300);
  });

  test('--memory: allocating past the limit is killed', async () => {
    const source = 'chunks = []\nwhile True:\n    chunks.append(b"x" * (16 << 20))\n';
    const { code, result } = await runScript('hog.py', source, ['--memory', '64']);
    expect(code).toBe(3);
    expect(result.error?.kind).toBe('memory');
  });

  test('--max-output: a flood is stopped and stdout is truncated', async () => {
    const source = 'import sys\nwhile True:\n    sys.stdout.write("y" * 4096)\n';
    const { code, result } = await runScript('flood.py', source, ['--max-output', '10000']);
    expect(code).toBe(3);
    expect(result.error?.kind).toBe('output_limit');
    expect(result.truncated.stdout).toBe(true);
    expect(result.stdout.length).toBeLessThanOrEqual(10_000);
    expect(result.stdout.length).toBeGreaterThan(0);
  });
});
