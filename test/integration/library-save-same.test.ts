/**
 * Saving the same source again is not a copy: `generate stats/descriptive --save` run three times used to
 * create _001, _002 and _003, all identical. The library hands back the script it has (`existed: true`,
 * nothing written: no number taken, no audit entry), and the CLI says so with exit 0.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openLibrary, type Library } from '../../src/library/index.js';
import { runCli, type CliRun } from './cli-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-save-same-'));
});

const cli = (args: string[]): Promise<CliRun> =>
  runCli(args, { cwd: dir, env: { SCRIPTBOX_HOME: join(dir, 'home') } });

describe('generate --save of the same script', () => {
  test(
    'three times: one script, and the second and third say it is already saved',
    { timeout: 120_000 },
    async () => {
      const first = await cli(['generate', 'stats/descriptive', '--save']);
      expect(first.code).toBe(0);
      expect(first.stderr).toBe('scriptbox: saved stats/descriptive (python) as stats_descriptive_001.py\n');
      for (let i = 0; i < 2; i++) {
        const again = await cli(['generate', 'stats/descriptive', '--save']);
        expect(again.code).toBe(0);
        expect(again.stderr).toBe(
          'scriptbox: stats/descriptive (python) already saved as stats_descriptive_001.py ' +
            '(same source; nothing new saved)\n',
        );
        expect(again.stdout).toBe(first.stdout);
      }
      const json = await cli(['generate', 'stats/descriptive', '--save', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ saved: 'stats_descriptive_001.py', existed: true });

      // Other parameters make another script: that one is new.
      const other = await cli(['generate', 'stats/descriptive', '--save', '--json', '--param', 'file=b.csv']);
      expect(JSON.parse(other.stdout)).toMatchObject({ saved: 'stats_descriptive_002.py' });
      expect(JSON.parse(other.stdout)).not.toHaveProperty('existed');

      const listed = JSON.parse((await cli(['scripts', 'list', '--json'])).stdout) as Array<{ name: string }>;
      expect(listed.map((script) => script.name)).toEqual([
        'stats_descriptive_001.py',
        'stats_descriptive_002.py',
      ]);
    },
  );
});

describe('library.save of the same source', () => {
  let library: Library;
  beforeEach(() => {
    library = openLibrary({ home: join(dir, 'lib') });
  });
  afterEach(() => {
    library.close();
  });
  const save = (source: string, extra: { language?: 'python' | 'bash'; task?: string } = {}) =>
    library.save({
      category: 'math',
      task: extra.task ?? 'addition',
      language: extra.language ?? 'python',
      source,
    });

  test('returns the script it has with existed: true and writes nothing', () => {
    const first = save('print(1 + 2)\n');
    expect(first).not.toHaveProperty('existed');
    const audited = library.audit().length;
    const again = save('print(1 + 2)\n');
    expect(again).toEqual({ ...first, existed: true });
    expect(library.audit()).toHaveLength(audited);
    // No number was taken by the call that saved nothing.
    expect(save('print(2 + 2)\n').name).toBe('math_addition_002.py');
  });

  test('a copy is only the same source in the same category, task and language, at its current version', () => {
    save('echo 1\n');
    expect(save('echo 1\n', { language: 'bash' }).name).toBe('math_addition_002.sh');
    expect(save('echo 1\n', { task: 'sum' }).name).toBe('math_sum_001.py');
    expect(save('echo 1\n ').name).toBe('math_addition_003.py');
    library.update('math_addition_001.py', { source: 'print(3)\n' });
    // Its current source changed: the old source is a new script again.
    const resaved = save('echo 1\n');
    expect(resaved.name).toBe('math_addition_004.py');
    expect(resaved).not.toHaveProperty('existed');
  });
});
