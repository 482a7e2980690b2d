/**
 * `scriptbox analyze` as a user runs it: a CSV on disk, an analysis by name, columns as arguments; the
 * script's result (sandboxed) equals `--direct` (the TypeScript engine); charts land in --out-dir; bad
 * files and names exit 2 with a message that says what to change.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tableToCsv } from '../../src/workflows/analysis/canonical-csv.js';
import { expectClose } from './analysis/harness.js';
import { housing } from './analysis/datasets.js';
import { runCli } from './cli-process.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-cli-analyze-'));
  writeFileSync(join(dir, 'flats.csv'), tableToCsv(housing()));
  writeFileSync(join(dir, 'ragged.csv'), 'a,b\n1,2\n3,4,5\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STACK_FRAME = /^\s+at .+[(:]/m;

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('scriptbox analyze', () => {
  test('the sandboxed script and --direct give the same correlation', async () => {
    const args = ['analyze', 'flats.csv', 'correlation', 'price', 'area', '--param', 'method=spearman'];
    const [script, direct] = await Promise.all([
      runCli([...args, '--json'], { cwd: dir }),
      runCli([...args, '--json', '--direct'], { cwd: dir }),
    ]);
    expect(script.stderr).toBe('');
    expect(script.code).toBe(0);
    expect(direct.code).toBe(0);
    const fromScript = json(script.stdout);
    const fromDirect = json(direct.stdout);
    expect(fromScript.params).toMatchObject({
      columns: ['price', 'area'],
      method: 'spearman',
      file: 'flats.csv',
    });
    expectClose(fromScript.result, fromDirect.result);
    expect(fromScript.usage).toMatchObject({ wallMs: expect.any(Number) as number });
  });

  test('prints readable tables without --json, and writes chart PNGs into --out-dir', async () => {
    const described = await runCli(['analyze', 'flats.csv', 'descriptive'], { cwd: dir });
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/price/);
    expect(described.stdout).toMatch(/rooms/);
    expect(described.stderr).toMatch(/ran in \d+ ms/);

    const charts = await runCli(['analyze', 'flats.csv', 'histogram', 'price', '--out-dir', 'charts'], {
      cwd: dir,
    });
    expect(charts.code).toBe(0);
    const files = readdirSync(join(dir, 'charts'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(
        readFileSync(join(dir, 'charts', file))
          .subarray(1, 4)
          .toString('latin1'),
      ).toBe('PNG');
      expect(charts.stderr).toContain(join(dir, 'charts', file));
    }
  });

  test.each([
    ['a ragged file', ['analyze', 'ragged.csv', 'descriptive'], /line 3 has 3 fields/],
    ['a missing file', ['analyze', 'nope.csv', 'descriptive'], /no such file/],
    ['an unknown analysis', ['analyze', 'flats.csv', 'astrology'], /choose one of .*descriptive/],
    ['an unknown column', ['analyze', 'flats.csv', 'correlation', 'price', 'colour'], /colour/],
    ['an unknown parameter', ['analyze', 'flats.csv', 'descriptive', '--param', 'bogus=1'], /bogus/],
  ])('%s exits 2 with a message, no stack trace', async (_name, args, message) => {
    const result = await runCli(args, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  test('a script-side failure exits 1 with its message', async () => {
    // Regression on a target with every value missing leaves no rows: the script says so.
    writeFileSync(join(dir, 'empty-target.csv'), 'x,y\n1,\n2,\n3,\n');
    const result = await runCli(['analyze', 'empty-target.csv', 'regression', 'y', 'x'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/regression: /);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
