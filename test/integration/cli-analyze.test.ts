/**
 * `scriptbox analyze` as a user runs it: a CSV on disk, an analysis by name, columns as arguments; the
 * script's result (sandboxed) equals `--direct` (the TypeScript engine); charts land in --out-dir; bad
 * files and names exit 2 with a message that says what to change; a table the analysis cannot be computed
 * for exits 1 with the same message on both paths.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tableToCsv } from '../../src/workflows/analysis/canonical-csv.js';
import { expectClose } from './analysis/harness.js';
import { housing } from './analysis/datasets.js';
import { runCli } from './cli-process.js';
import { bwrapStarted } from './sandbox-processes.js';

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

  test('columns that do not fit: the example is a command line to type, not the chat syntax', async () => {
    const scatter = await runCli(['analyze', 'flats.csv', 'scatter', 'price'], { cwd: dir });
    expect(scatter.code).toBe(2);
    expect(scatter.stderr).toBe(
      'scriptbox: got 1 column; a scatter plot takes two numeric columns and an optional category, ' +
        'e.g. scriptbox analyze flats.csv scatter area price district\n',
    );
    const boxplot = await runCli(['analyze', 'flats.csv', 'boxplot', 'district'], { cwd: dir });
    expect(boxplot.stderr).toMatch(/e\.g\. scriptbox analyze flats\.csv boxplot <column> district\n$/);
    // A numeric target with many values: the classifier points to regression in no face's syntax.
    const classifier = await runCli(['analyze', 'flats.csv', 'train_classifier', 'price'], { cwd: dir });
    expect(classifier.stderr).toMatch(/use the regression analysis with "price" as its target/);
    for (const run of [scatter, boxplot, classifier]) expect(run.stderr).not.toMatch(/\/script/);
  });

  test('a table the analysis cannot be computed for: exit 1 and the same message, script or --direct', async () => {
    // Regression on a target with every value missing leaves no rows: the user's data problem, which the
    // script and the direct engine report alike (as `error` of the same JSON object, or on stderr).
    writeFileSync(join(dir, 'empty-target.csv'), 'x,y\n1,\n2,\n3,\n');
    const args = ['analyze', 'empty-target.csv', 'regression', 'y', 'x'];
    const [script, direct, scriptJson, directJson] = await Promise.all([
      runCli(args, { cwd: dir }),
      runCli([...args, '--direct'], { cwd: dir }),
      runCli([...args, '--json'], { cwd: dir }),
      runCli([...args, '--json', '--direct'], { cwd: dir }),
    ]);
    expect([script.code, direct.code, scriptJson.code, directJson.code]).toEqual([1, 1, 1, 1]);

    const fromScript = json(scriptJson.stdout);
    const fromDirect = json(directJson.stdout);
    expect(fromScript).toMatchObject({
      analysis: 'regression',
      ok: false,
      error: expect.stringMatching(/^regression: /) as string,
    });
    expect(fromDirect).toMatchObject({ analysis: 'regression', ok: false, engine: 'direct' });
    expect(fromDirect.error).toBe(fromScript.error);
    expect(fromDirect.params).toEqual(fromScript.params);
    expect('result' in fromScript || 'result' in fromDirect).toBe(false);

    // Without --json: nothing on stdout, the message on stderr; the script path adds its usage line.
    const message = `scriptbox: ${String(fromScript.error)}\n`;
    expect([script.stdout, direct.stdout]).toEqual(['', '']);
    expect(direct.stderr).toBe(message);
    expect(script.stderr.startsWith(message)).toBe(true);
    expect(script.stderr.slice(message.length)).toMatch(/^scriptbox: ran in \d+ ms/);
    for (const run of [script, direct]) expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});

test('Ctrl-C (SIGINT) cancels the analysis: its run ends as cancelled, exit 130', async () => {
  let interrupted: Promise<void> = Promise.resolve();
  const run = await runCli(['analyze', 'flats.csv', 'descriptive', '--json'], {
    cwd: dir,
    onSpawn: (pid) => {
      interrupted = bwrapStarted(pid).then(() => void process.kill(pid, 'SIGINT'));
    },
  });
  await interrupted;
  expect(run.code).toBe(130);
  expect(json(run.stdout)).toMatchObject({
    analysis: 'descriptive',
    ok: false,
    error: 'descriptive was cancelled before it finished',
  });
  expect(run.stderr).not.toMatch(STACK_FRAME);
});
