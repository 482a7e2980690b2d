/**
 * Contract tests for `scriptbox run`: they spawn the real CLI (tsx loader, real bwrap and cgroups) and
 * check exit codes, every JSON field and its type, stdin, input files, out files and human output.
 * Languages, syntax errors and limits are in cli-languages.test.ts; usage errors, doctor and demo in
 * cli-commands.test.ts.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli as runProcess, type CliRun } from './cli-process.js';
import { bwrapStarted } from './sandbox-processes.js';
import { z } from 'zod';

/** Runs the CLI in this test's temp dir; `onSpawn` sees the process (to signal it). */
function runCli(
  args: string[],
  opts: { stdin?: string; onSpawn?: (pid: number) => void } = {},
): Promise<CliRun> {
  return runProcess(args, { cwd: dir, ...opts });
}

const KINDS = [
  'timeout',
  'cpu',
  'memory',
  'processes',
  'output_limit',
  'disk',
  'syntax',
  'rejected',
  'runtime',
] as const;

/** The contract's JSON object: every field with its type, nothing else. */
const ResultSchema = z
  .object({
    ok: z.boolean(),
    language: z.string(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    stdout: z.string(),
    stderr: z.string(),
    truncated: z.object({ stdout: z.boolean(), stderr: z.boolean() }).strict(),
    error: z
      .object({
        kind: z.enum([...KINDS, 'sandbox', 'cancelled']),
        message: z.string().min(1),
        line: z.number().int().positive().optional(),
        column: z.number().int().positive().optional(),
        name: z.string().optional(),
        value: z.string().optional(),
        traceback: z.string().optional(),
      })
      .strict()
      .nullable(),
    usage: z
      .object({ wallMs: z.number().int(), cpuMs: z.number().int(), peakMemoryBytes: z.number().int() })
      .strict(),
    outputs: z.array(
      z.object({ type: z.enum(['display', 'result']), data: z.record(z.string(), z.unknown()) }).strict(),
    ),
    files: z.array(
      z
        .object({
          path: z.string(),
          bytes: z.number().int().nonnegative(),
          mediaType: z.string().min(1),
          content: z.base64().optional(),
        })
        .strict(),
    ),
    filesSkipped: z.array(z.object({ path: z.string(), reason: z.string().min(1) }).strict()),
    scriptHash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
type Result = z.infer<typeof ResultSchema>;

/** The single JSON object on stdout (fails when stdout holds anything else). */
function parseResult(run: CliRun): Result {
  expect(run.stdout.endsWith('\n')).toBe(true);
  expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  return ResultSchema.parse(JSON.parse(run.stdout));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('scriptbox run --json', () => {
  test('a succeeding script: exit 0 and one JSON object with every contract field', async () => {
    const script = file('hello.py', 'import sys\nprint("hi")\nprint("warn", file=sys.stderr)\n');
    const run = await runCli(['run', script, '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const result = parseResult(run);
    expect(result).toEqual({
      ok: true,
      language: 'python',
      exitCode: 0,
      signal: null,
      stdout: 'hi\n',
      stderr: 'warn\n',
      truncated: { stdout: false, stderr: false },
      error: null,
      usage: result.usage,
      outputs: [],
      files: [],
      filesSkipped: [],
      scriptHash: sha256(readFileSync(script)),
    });
    expect(result.usage.wallMs).toBeGreaterThan(0);
    expect(result.usage.cpuMs).toBeGreaterThan(0);
    expect(result.usage.peakMemoryBytes).toBeGreaterThan(1_000_000);
  });

  test('a failing script: exit 1, its exit code and a runtime error with the last stderr line', async () => {
    const script = file('fail.py', 'import sys\nprint("partial")\nsys.exit("bad input")\n');
    const run = await runCli(['run', script, '--json']);
    expect(run.code).toBe(1);
    const result = parseResult(run);
    expect(result).toMatchObject({ ok: false, exitCode: 1, signal: null, stdout: 'partial\n' });
    expect(result.error?.kind).toBe('runtime');
    expect(result.error?.message).toContain('bad input');
  });

  test('an uncaught JavaScript error exits 1', async () => {
    const run = await runCli(['run', file('throw.js', 'throw new TypeError("nope");\n'), '--json']);
    expect(run.code).toBe(1);
    const result = parseResult(run);
    expect(result.error?.kind).toBe('runtime');
    expect(result.stderr).toContain('TypeError: nope');
  });
});

describe('human output', () => {
  test('script stdout passes through unchanged; its stderr and then one summary line go to stderr', async () => {
    const script = file(
      'out.py',
      'import sys\nsys.stdout.write("a\\n\\tb  ")\nsys.stderr.write("careful\\n")\n',
    );
    const run = await runCli(['run', script]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('a\n\tb  ');
    const [scriptLine, summary, ...rest] = run.stderr.split('\n');
    expect(scriptLine).toBe('careful');
    expect(summary).toMatch(/^scriptbox: ok · python · \d+ ms · cpu \d+ ms · mem \d+\.\d (KiB|MiB)$/);
    expect(rest).toEqual(['']);
  });

  test('a failure summary names the kind and what happened', async () => {
    const run = await runCli(['run', file('boom.sh', 'echo oops >&2\nexit 7\n')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^oops\nscriptbox: runtime · oops \(the script exited with code 7\) · bash · \d+ ms/,
    );
  });
});

describe('inputs and outputs', () => {
  test('`-` reads the script from stdin when --lang is given; scriptHash is of that source', async () => {
    const source = 'print(6 * 7)\n';
    const run = await runCli(['run', '-', '--lang', 'python', '--json'], { stdin: source });
    expect(run.code).toBe(0);
    expect(parseResult(run)).toMatchObject({ ok: true, stdout: '42\n', scriptHash: sha256(source) });
  });

  test('--stdin <path> is what the script reads on standard input', async () => {
    const data = file('data.txt', 'line one\nline two\n');
    const script = file(
      'rev.py',
      'import sys\nfor line in reversed(sys.stdin.read().splitlines()):\n    print(line)\n',
    );
    const run = await runCli(['run', script, '--stdin', data]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('line two\nline one\n');
  });

  test('--input files sit read-only in the work dir under their base names', async () => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    const csv = file('a/table.csv', 'x,y\n1,2\n');
    const notes = file('b/notes.txt', 'hello');
    const script = file(
      'inputs.py',
      `import os
print(sorted(n for n in os.listdir('.') if n != 'out'))
print(open('table.csv').read().splitlines()[1], open('notes.txt').read())
for name in ['table.csv', 'notes.txt']:
    try:
        open(name, 'a').write('tampered')
        print(name, 'WRITABLE')
    except OSError as err:
        print(name, 'read-only', err.errno)
`,
    );
    const run = await runCli(['run', script, '--input', csv, '--input', notes, '--json']);
    expect(run.code).toBe(0);
    const lines = parseResult(run).stdout.split('\n');
    expect(lines[0]).toBe("['main.py', 'notes.txt', 'table.csv']");
    expect(lines[1]).toBe('1,2 hello');
    expect(lines[2]).toMatch(/^table\.csv read-only \d+$/);
    expect(lines[3]).toMatch(/^notes\.txt read-only \d+$/);
    expect(readFileSync(csv, 'utf8')).toBe('x,y\n1,2\n');
    expect(readFileSync(notes, 'utf8')).toBe('hello');
  });

  test('--out-dir receives out/ files; a planted symlink to a host file is not copied', async () => {
    const secret = file('secret.txt', 'TOP SECRET\n');
    const outDir = join(dir, 'results');
    const script = file(
      'outs.py',
      `import os
os.makedirs('out/sub')
open('out/report.txt', 'w').write('report')
open('out/sub/data.csv', 'w').write('a,b\\n')
os.symlink(${JSON.stringify(secret)}, 'out/leak.txt')
os.symlink('/etc/passwd', 'out/sub/passwd')
`,
    );
    const run = await runCli(['run', script, '--out-dir', outDir, '--json']);
    expect(run.code).toBe(0);
    expect(parseResult(run).files).toEqual([
      {
        path: 'report.txt',
        bytes: 6,
        mediaType: 'text/plain',
        content: Buffer.from('report').toString('base64'),
      },
      {
        path: 'sub/data.csv',
        bytes: 4,
        mediaType: 'text/csv',
        content: Buffer.from('a,b\n').toString('base64'),
      },
    ]);
    // The symlinks are named, not silently dropped.
    expect(parseResult(run).filesSkipped).toEqual([
      { path: 'leak.txt', reason: 'symlink; not followed' },
      { path: 'sub/passwd', reason: 'symlink; not followed' },
    ]);
    expect(readFileSync(join(outDir, 'report.txt'), 'utf8')).toBe('report');
    expect(readFileSync(join(outDir, 'sub/data.csv'), 'utf8')).toBe('a,b\n');
    expect(existsSync(join(outDir, 'leak.txt'))).toBe(false);
    expect(readdirSync(outDir).sort()).toEqual(['report.txt', 'sub']);
    expect(readdirSync(join(outDir, 'sub'))).toEqual(['data.csv']);
  });
});

test('Ctrl-C (SIGINT) cancels the run: kind cancelled, exit 130', async () => {
  let started: Promise<void> = Promise.resolve();
  const script = file('sleep.py', 'import time\ntime.sleep(60)\n');
  const run = await runCli(['run', script, '--json'], {
    onSpawn: (pid) => {
      started = bwrapStarted(pid).then(() => {
        process.kill(pid, 'SIGINT');
      });
    },
  });
  await started;
  expect(run.code).toBe(130);
  const result = parseResult(run);
  expect(result.error?.kind).toBe('cancelled');
  expect(result.usage.wallMs).toBeLessThan(30_000);
});
