/**
 * `scriptbox` from any directory, installed as the README says (`npm install -g .` from the checkout, which
 * links it like `npm link`), here into a throwaway prefix: the linked bin runs the built CLI wherever it
 * is called from, finding its package.json, runners and templates through the link.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILT = existsSync(join(ROOT, 'dist/faces/cli/main.js'));
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

let prefix: string;
let elsewhere: string;
const bin = (): string => join(prefix, 'bin', 'scriptbox');

/** Runs the installed `scriptbox` by name, from a directory that is not the checkout. */
function scriptbox(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('scriptbox', args, {
    cwd: elsewhere,
    env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe.skipIf(!BUILT)('scriptbox installed from the checkout (needs `npm run build`)', () => {
  beforeAll(() => {
    prefix = mkdtempSync(join(tmpdir(), 'scriptbox-prefix-'));
    elsewhere = mkdtempSync(join(tmpdir(), 'scriptbox-elsewhere-'));
    const npm = spawnSync(
      'npm',
      ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', ROOT],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(npm.stderr).not.toMatch(/ERR!/);
    expect(npm.status).toBe(0);
  }, 150_000);
  afterAll(() => {
    // The prefix holds a link to the checkout: rm removes the link, never what it points to.
    for (const path of [prefix, elsewhere]) rmSync(path, { recursive: true, force: true });
  });

  test('the bin is a link into this checkout', () => {
    expect(realpathSync(bin())).toBe(join(realpathSync(ROOT), 'dist/faces/cli/main.js'));
  });

  test('--version from another directory', () => {
    const run = scriptbox(['--version']);
    expect(run.stderr).toBe('');
    expect([run.status, run.stdout]).toEqual([0, `${version}\n`]);
  });

  test('runs a script given by an absolute path from another directory', { timeout: 60_000 }, () => {
    const script = join(elsewhere, 'hello.py');
    writeFileSync(script, 'import os\nprint("hello from", os.getcwd())\n');
    const run = scriptbox(['run', script]);
    expect(run.stdout).toBe('hello from /work\n');
    expect(run.stderr).toMatch(/^scriptbox: ok · python · /);
    expect(run.status).toBe(0);
  });
});
