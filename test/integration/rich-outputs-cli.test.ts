/**
 * `scriptbox run` with rich outputs: text forms follow the script's stdout, images go to --out-dir or are
 * counted with a hint, --json carries them all, and the summary of a failed Python run names the exception.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/index.js';
import { runCli, stdoutJson } from './cli-process.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sb-rich-cli-'));
  writeFileSync(
    path.join(dir, 'plot.py'),
    [
      'import matplotlib.pyplot as plt',
      'print("plotting")',
      'plt.plot([1, 2, 3]); plt.show()',
      'display({"rows": 2})',
      'print(1 / 0)',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scriptbox run with rich outputs', { timeout: 60_000 }, () => {
  it('prints text outputs after stdout, counts images, and summarises the exception', async () => {
    const run = await runCli(['run', 'plot.py'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("plotting\n{'rows': 2}\n");
    expect(run.stderr).toContain('scriptbox: 1 image (use --json or --out-dir to get it)\n');
    expect(run.stderr).toMatch(
      /scriptbox: runtime · ZeroDivisionError: division by zero \(the script exited with code 1\) · python/,
    );
  });

  it('writes images to --out-dir', async () => {
    const out = path.join(dir, 'images');
    const run = await runCli(['run', 'plot.py', '--out-dir', out], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`scriptbox: wrote 1 image to ${out}: output-1.png\n`);
    expect(readdirSync(out)).toEqual(['output-1.png']);
    expect(readFileSync(path.join(out, 'output-1.png')).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it('--json carries the outputs and the structured error', async () => {
    const run = await runCli(['run', 'plot.py', '--json'], { cwd: dir });
    const result = stdoutJson(run) as RunResult;
    expect(result.outputs.map((item) => Object.keys(item.data).sort())).toEqual([
      ['image/png', 'text/plain'],
      ['text/plain'],
    ]);
    expect(Buffer.from(result.outputs[0]?.data['image/png'] ?? '', 'base64').subarray(0, 8)).toEqual(
      PNG_SIGNATURE,
    );
    expect(result.error).toMatchObject({ name: 'ZeroDivisionError', value: 'division by zero' });
    expect(result.error?.traceback).toContain('File "main.py", line 5, in <module>');
  });
});
