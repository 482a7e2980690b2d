/** doctor's toolchain checks: optional, the version when found, the apt package when missing or broken. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { TOOLCHAINS, toolchainChecks } from '../../../src/workflows/instrument/toolchains.js';

const dir = mkdtempSync(join(tmpdir(), 'scriptbox-toolchains-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('covers the nine languages with optional checks naming their apt packages', async () => {
  expect(TOOLCHAINS.map((t) => t.program)).toEqual([
    'go',
    'gcc',
    'g++',
    'javac',
    'rustc',
    'cargo',
    'ruby',
    'node',
    'python3',
  ]);
  const missing = {
    program: 'scriptbox-no-such-compiler',
    languages: 'Nothing',
    versionArgs: [],
    apt: 'nothing-dev',
  };
  const broken = join(dir, 'broken-cc');
  writeFileSync(broken, '#!/bin/sh\necho "broken: no licence" >&2\nexit 3\n');
  chmodSync(broken, 0o755);
  const fine = join(dir, 'fine-cc');
  writeFileSync(fine, '#!/bin/sh\necho "fine-cc 1.2.3"\n');
  chmodSync(fine, 0o755);
  const [absent, failing, found] = await toolchainChecks([
    missing,
    { program: broken, languages: 'Broken', versionArgs: ['--version'], apt: 'broken-cc' },
    { program: fine, languages: 'Fine', versionArgs: ['--version'], apt: 'fine-cc' },
  ]);
  expect(absent).toMatchObject({ name: 'toolchain scriptbox-no-such-compiler', required: false, ok: false });
  expect(absent?.detail).toContain('not on PATH');
  expect(absent?.fix).toMatch(
    /^apt-get install nothing-dev .*needed only to build and test instrumented Nothing code/,
  );
  expect(failing).toMatchObject({ required: false, ok: false });
  expect(failing?.detail).toContain('broken: no licence');
  expect(failing?.fix).toContain('apt-get install broken-cc');
  expect(found).toMatchObject({ required: false, ok: true, fix: null });
  expect(found?.detail).toBe(`${fine}: fine-cc 1.2.3 (for Fine)`);
});
