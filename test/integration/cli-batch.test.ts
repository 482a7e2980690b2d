/**
 * Contract tests for `scriptbox batch`: the real CLI (tsx loader, real bwrap and cgroups), its --json
 * shape, exit codes, items-file errors, the human summary and the progress bar (only on a terminal).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { runCli as runProcess, type CliRun } from './cli-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-cli-batch-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[], env?: Record<string, string>): Promise<CliRun> {
  return runProcess(args, { cwd: dir, ...(env ? { env } : {}) });
}

/** Writes the script and the items file (one line per entry, written as given) into the test dir. */
function setup(source: string, lines: string[]): void {
  writeFileSync(join(dir, 'item.py'), source);
  writeFileSync(join(dir, 'items.jsonl'), lines.map((line) => `${line}\n`).join(''));
}

const SCRIPT = [
  'import json, sys, time',
  'item = json.load(sys.stdin)',
  'if item == "raise": raise ValueError("bad item")',
  'if item == "hang": time.sleep(60)',
  'print("done", item)',
  'print("second line")',
].join('\n');

const BatchJsonSchema = z
  .object({
    results: z.array(
      z
        .object({
          index: z.number().int(),
          result: z.object({
            ok: z.boolean(),
            stdout: z.string(),
            error: z.object({ kind: z.string(), message: z.string() }).nullable(),
            usage: z.object({ wallMs: z.number(), cpuMs: z.number(), peakMemoryBytes: z.number() }),
          }),
        })
        .strict(),
    ),
    summary: z
      .object({
        total: z.number().int(),
        succeeded: z.number().int(),
        failed: z.number().int(),
        byKind: z.record(z.string(), z.number().int()),
        wallMs: z.number(),
        cpuMs: z.number(),
        cacheHits: z.literal(0),
      })
      .strict(),
  })
  .strict();

describe('scriptbox batch', () => {
  test('--json prints one object with every result in input order and exits 0', async () => {
    setup(SCRIPT, ['"a"', '', '  ', '{"b": [1, 2]}', '3']);
    const run = await runCli(['batch', 'item.py', '--items', 'items.jsonl', '--json', '--concurrency', '2']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.endsWith('}\n')).toBe(true);
    const batch = BatchJsonSchema.parse(JSON.parse(run.stdout));
    expect(batch.results.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(batch.results.map((r) => r.result.stdout)).toEqual([
      'done a\nsecond line\n',
      "done {'b': [1, 2]}\nsecond line\n",
      'done 3\nsecond line\n',
    ]);
    expect(batch.summary).toMatchObject({ total: 3, succeeded: 3, failed: 0, byKind: { ok: 3 } });
  });

  test('a partial failure exits 1 with prefixed outputs and a summary grouped by outcome', async () => {
    const items = ['"first"', '"hang"', ...Array.from({ length: 22 }, () => '"raise"'), '"last"'];
    setup(SCRIPT, items);
    const args = ['batch', 'item.py', '--items', 'items.jsonl', '--timeout', '2000', '--concurrency', '8'];
    const run = await runCli(args);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('[0] done first\n[0] second line\n[24] done last\n[24] second line\n');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^scriptbox: 25 items · 2 ok · 23 failed · \d+ ms · cpu \d+ ms$/);
    expect(lines.slice(1, 4)).toEqual(['  ok       2', '  runtime  22', '  timeout  1']);
    expect(lines[4]).toBe('failed items:');
    expect(lines[5]).toMatch(/^ {2}\[1\] timeout: .*2000 ms/);
    expect(lines[6]).toMatch(/^ {2}\[2\] runtime: ValueError: bad item/);
    expect(lines.slice(5, 25).map((line) => /\[(\d+)\]/.exec(line)?.[1])).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i + 1)),
    );
    expect(lines.slice(25)).toEqual(['  and 3 more']);
    // Piped stderr: no progress bar.
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toMatch(/\[[#.]+\]/);
  });

  test('a malformed items line exits 2 naming the file and line, before running anything', async () => {
    setup(SCRIPT, ['"ok"', '', '{"a": 1,}', '"never"']);
    const run = await runCli(['batch', 'item.py', '--items', 'items.jsonl']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^scriptbox: items\.jsonl line 3: \S.*\n$/);
  });

  test.each([
    [['--items', 'items.jsonl', '--concurrency', '0'], /--concurrency.*>=1/],
    [['--items', 'items.jsonl', '--concurrency', 'many'], /--concurrency.*whole number/],
    [['--items', 'missing.jsonl'], /cannot read --items file missing\.jsonl: no such file/],
    [[], /required option '--items <file>'/],
    [['--items', 'items.jsonl', '--lang', 'cobol'], /cobol/],
  ])('usage errors exit 2: %j', async (extra, message) => {
    setup(SCRIPT, ['1']);
    const run = await runCli(['batch', 'item.py', ...extra]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  test('exits 70 when the sandbox is unavailable', async () => {
    setup(SCRIPT, ['1']);
    const run = await runCli(['batch', 'item.py', '--items', 'items.jsonl'], {
      SCRIPTBOX_BWRAP: '/nonexistent/bwrap',
    });
    expect(run.code).toBe(70);
    expect(run.stderr).toMatch(/apt-get install bubblewrap/);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  test.skipIf(!hasScript)('draws a progress bar when stderr is a terminal (needs util-linux script)', () => {
    setup(SCRIPT, ['1', '"raise"', '3']);
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const main = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
    const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;
    const command = [process.execPath, '--import', tsx, main, 'batch', 'item.py', '--items', 'items.jsonl']
      .map(quote)
      .join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('\r[....................] 0/3 · 0 ok · 0 failed');
    expect(run.stdout).toContain('\r[####################] 3/3 · 2 ok · 1 failed');
    expect(run.stdout).toMatch(/scriptbox: 3 items · 2 ok · 1 failed/);
  });
});
