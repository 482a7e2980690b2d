/**
 * Matplotlib in the sandbox sees fontconfig's configuration (/etc/fonts, read-only): every run used to
 * print `Fontconfig error: Cannot load default config file` on stderr.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
});
afterAll(async () => {
  await engine.close();
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('fonts in the sandbox', () => {
  it('a matplotlib chart with text is saved with nothing from fontconfig on stderr', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'scriptbox-fonts-'));
    const source = [
      'import matplotlib.pyplot as plt',
      'from matplotlib import font_manager',
      'plt.plot([1, 2, 3], [1, 4, 9])',
      'plt.title("squares")',
      'plt.xlabel("n")',
      'plt.savefig("out/chart.png")',
      // The font matplotlib found for the text: a real file under /usr.
      'print(font_manager.findfont("DejaVu Sans"))',
    ].join('\n');
    const result = await engine.run({ language: 'python', source, outDir, limits: { timeoutMs: 60_000 } });
    expect(result.error).toBeNull();
    expect(result.stderr).not.toMatch(/fontconfig/i);
    expect(result.stdout).toMatch(/^\/usr\/\S+\.ttf\n$/);
    expect(result.files.map((file) => file.path)).toContain('chart.png');
    expect(readFileSync(join(outDir, 'chart.png')).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });
});
