/**
 * `scriptbox chat` as a child process with piped stdin: --file and /upload, replies as aligned text on
 * stdout, charts and scripts saved into --out-dir (never overwriting), a multi-line fenced update with its
 * confirmation, a file that cannot be read, exit 0 at the end of input, and Ctrl-C during a run (130).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { renderBlocksAsText } from '../../src/workflows/analysis/render-text.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { openLibrary } from '../../src/library/index.js';
import { expectedAnalysis, HOUSING_CSV, isPng } from './chat-harness.js';
import { runCli } from './cli-process.js';
import { bwrapStarted } from './sandbox-processes.js';

let dir: string;
let home: string;

beforeAll(() => {
  dir = mkdtempSync(join(process.env['SCRIPTBOX_HOME'] ?? '/tmp', 'chat-cli-'));
  home = join(dir, 'home');
  writeFileSync(join(dir, 'housing.csv'), HOUSING_CSV);
  writeFileSync(join(dir, 'ragged.csv'), 'a,b\n1,2\n3\n');
});

const env = (): Record<string, string> => ({
  SCRIPTBOX_HOME: home,
  SCRIPTBOX_LLM_BASE_URL: '',
  SCRIPTBOX_LLM_MODEL: '',
});

describe('scriptbox chat', () => {
  test('a piped conversation: preview, an analysis with its chart, the script, bad files; exit 0', async () => {
    const stdin = [
      'histogram of price',
      '',
      'show the script',
      '/script histogram price',
      '/upload ragged.csv',
      '/upload missing.csv',
      '/upload',
    ].join('\n');
    const run = await runCli(['chat', '--file', 'housing.csv', '--out-dir', 'out'], {
      cwd: dir,
      env: env(),
      stdin,
    });
    expect(run.code).toBe(0);
    const { stdout, stderr } = run;
    expect(stdout).toMatch(
      /^housing\.csv: 120 rows × 6 columns\n\nColumns\ncolumn +type +missing +values\n-+ +-+/,
    );

    // The histogram's blocks as aligned text (a pipe has no width: the default 100), its chart, the usage line.
    const expected = await expectedAnalysis(
      createTemplateRegistry(),
      'histogram',
      ['price'],
      'housing.csv',
      HOUSING_CSV,
    );
    expect(stdout).toContain(renderBlocksAsText(expected.blocks));
    expect(stdout).toMatch(
      /\[chart saved: out\/histogram_price\.png\] histogram · housing\.csv\nran in \d+ ms/,
    );
    expect(isPng(readFileSync(join(dir, 'out', 'histogram_price.png')))).toBe(true);

    // The script as a file; the second histogram does not overwrite the first chart.
    expect(stdout).toContain('[file saved: out/histogram.py] histogram.py, from the histogram template\n');
    expect(readFileSync(join(dir, 'out', 'histogram.py'), 'utf8')).toBe(expected.source);
    expect(stdout).toContain('[chart saved: out/histogram_price-2.png]');
    expect(readFileSync(join(dir, 'out', 'histogram_price-2.png'))).toEqual(
      readFileSync(join(dir, 'out', 'histogram_price.png')),
    );

    expect(stdout).toMatch(/I could not read ragged\.csv: .*I kept your earlier data \(housing\.csv\)\./);
    expect(stderr).toContain('scriptbox: cannot read the file missing.csv: no such file\n');
    expect(stderr).toContain('scriptbox: /upload needs a path: /upload data.csv\n');
    expect(stderr).toContain('… running histogram on housing.csv\n');
  });

  test('a fenced update over several lines, confirmed, then run', async () => {
    const stdin = [
      'generate code: a histogram of area',
      'update code stats_histogram_001.py to ```python',
      'import json',
      'print(json.dumps({"answer": 6 * 7}))',
      '```',
      'yes',
      'run code stats_histogram_001.py',
      'yes',
    ].join('\n');
    const run = await runCli(['chat', '--file', 'housing.csv', '--out-dir', 'out2'], {
      cwd: dir,
      env: env(),
      stdin,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Saved to the library as stats_histogram_001.py');
    expect(run.stdout).toContain(
      '[file saved: out2/stats_histogram_001.py] stats_histogram_001.py, from the code you sent',
    );
    expect(run.stdout).toContain('Saved stats_histogram_001.py version 2.\n');
    expect(run.stdout).toContain('{\n  "answer": 42\n}\n');
    const library = openLibrary({ home });
    try {
      expect(library.get('stats_histogram_001.py').currentVersion).toBe(2);
    } finally {
      library.close();
    }
  });

  test('a --file that cannot be read: exit 2 and the reason', async () => {
    const run = await runCli(['chat', '--file', 'nope.csv'], { cwd: dir, env: env(), stdin: '/help\n' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot read the file nope.csv: no such file');
    expect(run.stdout).toBe('');
  });

  test('Ctrl-C during a run ends the chat cleanly: exit 130, nothing more printed', async () => {
    const library = openLibrary({ home });
    const saved = library.save({
      category: 'demo',
      task: 'sleep',
      language: 'python',
      source: 'import time\ntime.sleep(60)\nprint("woke up")\n',
    });
    library.close();
    let interrupted: Promise<void> = Promise.resolve();
    const run = await runCli(['chat', '--out-dir', 'out3'], {
      cwd: dir,
      env: env(),
      stdin: `run code ${saved.name}\nyes\n/help\n`,
      onSpawn: (pid) => {
        interrupted = bwrapStarted(pid).then(() => void process.kill(pid, 'SIGINT'));
      },
    });
    await interrupted;
    expect(run.code).toBe(130);
    expect(run.stdout).toContain(`Reply yes to run ${saved.name} (version 1)`);
    expect(run.stdout).not.toMatch(/woke up|What I can do/);
    expect(run.stderr).not.toMatch(/internal error|Error/);
  });
});
