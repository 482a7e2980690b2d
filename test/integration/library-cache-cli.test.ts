/** Contract test for `scriptbox cache stats|clear` over a library the test fills through the API. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openLibrary } from '../../src/library/index.js';
import { runCli, stdoutJson as json, succeeded, type CliRun } from './cli-process.js';

let dir: string;
let home: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-cache-cli-'));
  home = join(dir, 'home');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ok = async (args: string[]): Promise<CliRun> =>
  succeeded(await runCli(args, { cwd: dir, env: { SCRIPTBOX_HOME: home } }));

describe('cache stats and clear', () => {
  test('report what the library cache holds, and clear it', async () => {
    expect(json(await ok(['cache', 'stats', '--json']))).toEqual({
      entries: 0,
      hits: 0,
      misses: 0,
      bytes: 0,
      byLanguage: {},
    });
    const lib = openLibrary({ home });
    lib.cachePut('a', { language: 'python', source: 'print(1)\n', generator: 'template' });
    lib.cachePut('b', { language: 'bash', source: 'echo 1\n' });
    lib.cacheGet('a');
    lib.cacheGet('nope');
    lib.memoPutMany('instrument-analysis', [
      { key: 'f1', value: { analysis: {} } },
      { key: 'f2', value: { analysis: {} } },
    ]);
    lib.close();
    expect(json(await ok(['cache', 'stats', '--json']))).toEqual({
      entries: 2,
      hits: 1,
      misses: 1,
      bytes: 16,
      byLanguage: { bash: { entries: 1, bytes: 7 }, python: { entries: 1, bytes: 9 } },
    });
    expect((await ok(['cache', 'stats'])).stdout).toBe(
      '2 entries · 16 bytes · 1 hit · 1 miss (50% hit rate)\n  bash    1 entry · 7 bytes\n  python  1 entry · 9 bytes\n',
    );
    expect((await ok(['cache', 'clear'])).stderr).toBe(
      'scriptbox: cleared the cache: 2 entries, 16 bytes (and 2 memoised analyses)\n',
    );
    expect(json(await ok(['cache', 'stats', '--json']))).toMatchObject({ entries: 0, hits: 0, misses: 0 });
    expect(json(await ok(['cache', 'clear', '--json']))).toEqual({ entries: 0, bytes: 0, memoEntries: 0 });
  });
});
