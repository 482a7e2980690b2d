/**
 * Contract tests for the CLI around `run`: usage errors (exit 2, never a stack trace), an unavailable
 * sandbox (exit 70 with the fix), --unsafe-no-sandbox, --version and --help, `doctor` and `demo`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { runCli as runProcess, type CliRun } from './cli-process.js';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '../../src/engine/options.js';

const NO_BWRAP = { SCRIPTBOX_BWRAP: '/nonexistent/bwrap' };

function runCli(args: string[], env: Record<string, string> = {}, cwd = dir): Promise<CliRun> {
  return runProcess(args, { cwd, env });
}

const STACK_FRAME = /^\s+at .+[(:]/m;

let dir: string;
let script: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-cli-cmd-'));
  script = join(dir, 'ok.py');
  writeFileSync(script, 'print(1 + 1)\n');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('usage errors exit 2 with a message that says what to do, never a stack trace', () => {
  test.each([
    ['no command', [], /Usage: scriptbox/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['run without a file', ['run'], /missing required argument 'file'/],
    ['an unknown option', ['run', '@ok', '--bogus'], /unknown option '--bogus'/],
    [
      'a non-numeric --timeout',
      ['run', '@ok', '--timeout', 'soon'],
      /'--timeout <ms>' argument 'soon' is invalid/,
    ],
    [
      'a fractional --memory',
      ['run', '@ok', '--memory', '1.5'],
      /'--memory <MiB>' argument '1.5' is invalid/,
    ],
    ['an out-of-range --cpu', ['run', '@ok', '--cpu', '0'], /'--cpu <ms>' argument '0' is invalid/],
    ['a missing script file', ['run', 'missing.py'], /cannot read script file missing\.py: no such file/],
    ['- without --lang', ['run', '-'], /reading the script from stdin \(-\) needs --lang/],
    ['an unknown extension', ['run', '@txt'], /Pass --lang with one of python \(\.py\), javascript/],
    ['an unknown --lang', ['run', '@ok', '--lang', 'cobol'], /unknown language "cobol": use one of python/],
    ['a missing --input file', ['run', '@ok', '--input', 'nope.csv'], /cannot read input file nope\.csv/],
    ['a missing --stdin file', ['run', '@ok', '--stdin', 'nope.txt'], /cannot read --stdin file nope\.txt/],
    [
      'an --out-dir that is a file',
      ['run', '@ok', '--out-dir', '@txt'],
      /--out-dir \/ outDir\) .*notes\.txt is a regular file, not a directory/,
    ],
  ])('%s', async (_what, args, message) => {
    writeFileSync(join(dir, 'notes.txt'), 'print(1)\n');
    const resolved = args.map((arg) =>
      arg === '@ok' ? script : arg === '@txt' ? join(dir, 'notes.txt') : arg,
    );
    const run = await runCli(resolved);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
  });
});

describe('without a sandbox', () => {
  test('run exits 70 and says how to install bubblewrap', async () => {
    const run = await runCli(['run', script, '--json'], NO_BWRAP);
    expect(run.code).toBe(70);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^scriptbox: bubblewrap \(\/nonexistent\/bwrap\) was not found/);
    expect(run.stderr).toContain('apt-get install bubblewrap');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  test('--unsafe-no-sandbox runs the script anyway, with a loud warning on stderr', async () => {
    const run = await runCli(['run', script, '--unsafe-no-sandbox'], NO_BWRAP);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('2\n');
    expect(run.stderr).toMatch(/^scriptbox: WARNING: --unsafe-no-sandbox: .*no isolation/);
  });

  test('doctor exits 70, fails the bwrap check and gives its fix', async () => {
    const run = await runCli(['doctor'], NO_BWRAP);
    expect(run.code).toBe(70);
    expect(run.stdout).toMatch(/^✗ bwrap /m);
    expect(run.stdout).toMatch(/^ {4}fix: apt-get install bubblewrap/m);
    expect(run.stdout).toMatch(/^✓ runtime python /m);
  });
});

test('--version prints the version from package.json', async () => {
  const pkg = z
    .object({ version: z.string() })
    .parse(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')));
  const run = await runCli(['--version']);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe(`${pkg.version}\n`);
});

test('run --help lists every option with the default limits and the exit codes', async () => {
  const run = await runCli(['run', '--help']);
  expect(run.code).toBe(0);
  const help = run.stdout.replace(/\s+/g, ' ');
  for (const flag of ['--lang', '--input', '--stdin', '--out-dir', '--json', '--unsafe-no-sandbox']) {
    expect(help).toContain(flag);
  }
  expect(help).toContain(`--timeout <ms> wall-clock limit in ms (default: ${DEFAULT_LIMITS.timeoutMs}`);
  expect(help).toContain(`--cpu <ms> CPU time limit in ms (default: ${DEFAULT_LIMITS.cpuMs})`);
  expect(help).toContain(`--memory <MiB> memory limit in MiB (default: ${DEFAULT_LIMITS.memoryMb}`);
  expect(help).toContain(`(default: ${DEFAULT_LIMITS.maxOutputBytes})`);
  expect(help).toMatch(/Exit codes: 0 .* 1 .* 2 .* 3 .* 4 .* 70 /);
});

const DoctorSchema = z
  .object({
    ok: z.boolean(),
    checks: z.array(
      z
        .object({
          name: z.string().min(1),
          required: z.boolean(),
          ok: z.boolean(),
          detail: z.string().min(1),
          fix: z.string().min(1).nullable(),
        })
        .strict(),
    ),
  })
  .strict();

describe('doctor --json on this machine', () => {
  let report: z.infer<typeof DoctorSchema>;
  let code: number | null;

  beforeAll(async () => {
    const run = await runCli(['doctor', '--json'], {}, tmpdir());
    code = run.code;
    report = DoctorSchema.parse(JSON.parse(run.stdout));
  });

  test('exits 0 and every required check passes', () => {
    expect(report.checks.filter((c) => c.required && !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    const names = report.checks.map((c) => c.name);
    for (const name of [
      'bwrap',
      'cgroups',
      'sandbox',
      'namespaces',
      'sandbox network',
      'sandbox filesystem',
    ]) {
      expect(names).toContain(name);
    }
    for (const runtime of ['python', 'javascript', 'typescript', 'bash'])
      expect(names).toContain(`runtime ${runtime}`);
  });

  test('every check passes, the optional python data libraries included', () => {
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.every((c) => c.fix === null)).toBe(true);
  });
});

test('demo runs every example and exits 0 when the walls held', async () => {
  const run = await runCli(['demo']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^(\d+)\/\1 demos behaved as expected\.$/m);
  expect(run.stdout).toContain('timeout · killed after its wall-clock limit');
  expect(run.stdout).toMatch(/r \/etc\/shadow: blocked/);
  expect(run.stdout).toMatch(/tcp 127\.0\.0\.1:\d+: blocked/);
  expect(run.stdout).not.toContain('✗');
});
