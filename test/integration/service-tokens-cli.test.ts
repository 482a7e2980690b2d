/** Contract test for `scriptbox tokens create|list|revoke`: output shapes, exit codes, the secret shown once. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openLibrary } from '../../src/library/index.js';
import { createGuard } from '../../src/access/guard.js';
import { runCli, stdoutJson as json, succeeded, type CliRun } from './cli-process.js';

let dir: string;
let home: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-tokens-cli-'));
  home = join(dir, 'home');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]): Promise<CliRun> =>
  runCli(['tokens', ...args], { cwd: dir, env: { SCRIPTBOX_HOME: home } });

const ok = async (args: string[]): Promise<CliRun> => succeeded(await cli(args));
const TOKEN = /^sbx_[A-Za-z0-9_-]{43}$/;

// Each test spawns the CLI eight or more times, one after another: slow on a loaded machine.
const SPAWNS_MS = 90_000;

describe('scriptbox tokens', () => {
  test(
    'create prints the secret once; list and revoke never do; the guard honours both',
    async () => {
      expect(json(await ok(['list', '--json']))).toEqual([]);
      expect((await ok(['list'])).stderr).toMatch(/no tokens/);

      const plain = await ok([
        'create',
        '--name',
        'ci',
        '--runs-per-minute',
        '5',
        '--cpu-seconds-per-day',
        '60',
        '--allow-net',
        'api.example.com',
        '--allow-net',
        '*.example.org:8443',
      ]);
      const token = plain.stdout.trim();
      expect(plain.stdout).toBe(`${token}\n`);
      expect(token).toMatch(TOKEN);
      expect(plain.stderr).toMatch(/only time it is shown: store it now/);
      expect(plain.stderr).not.toContain(token);

      const viaJson = await ok(['create', '--name', 'bot', '--json']);
      const created = json(viaJson) as { id: string; name: string; token: string };
      expect(Object.keys(created).sort()).toEqual(['id', 'name', 'token']);
      expect([created.id, created.name]).toEqual([
        expect.stringMatching(/^tok_[0-9a-f]{12}$/) as unknown,
        'bot',
      ]);
      expect(created.token).toMatch(TOKEN);
      expect(viaJson.stderr).toMatch(/only time it is shown/);

      const listed = await ok(['list', '--json']);
      expect(json(listed)).toEqual([
        expect.objectContaining({
          name: 'ci',
          runsPerMinute: 5,
          cpuSecondsPerDay: 60,
          netAllow: ['api.example.com', '*.example.org:8443'],
          revokedAt: null,
        }) as unknown,
        expect.objectContaining({
          id: created.id,
          name: 'bot',
          runsPerMinute: null,
          netAllow: null,
          lastUsedAt: null,
        }) as unknown,
      ]);
      const table = await ok(['list']);
      expect(table.stdout).toMatch(
        /^tok_[0-9a-f]{12} {2}ci {3}live {5}created .* 5 runs\/min · 60 cpu s\/day · network api\.example\.com \*\.example\.org:8443\n/,
      );
      expect(table.stdout).toMatch(
        / bot {2}live .* last used never .* default runs\/min · default cpu s\/day · network as the server allows\n$/,
      );
      for (const run of [listed, table]) {
        expect(run.stdout + run.stderr).not.toContain(token.slice(4));
        expect(run.stdout + run.stderr).not.toContain(created.token.slice(4));
      }
      const files = Buffer.concat(readdirSync(home).map((file) => readFileSync(join(home, file))));
      expect(files.includes(token.slice(4))).toBe(false);

      // A guard on the same library accepts the new token, and refuses it once revoked.
      const lib = openLibrary({ home });
      try {
        const guard = createGuard({ library: lib });
        expect(guard.authenticate(`Bearer ${created.token}`)).toEqual({ tokenId: created.id, name: 'bot' });
        const revoked = await ok(['revoke', created.id, '--json']);
        expect(json(revoked)).toMatchObject({
          id: created.id,
          name: 'bot',
          revokedAt: expect.any(String) as unknown,
        });
        expect(revoked.stderr).toBe(`scriptbox: revoked token ${created.id} (bot)\n`);
        expect(() => guard.authenticate(`Bearer ${created.token}`)).toThrow(/revoked/);
      } finally {
        lib.close();
      }
      expect((await ok(['revoke', created.id])).stderr).toMatch(/was already revoked at /);
      expect(json(await ok(['list', '--json']))).toEqual([
        expect.objectContaining({ name: 'ci', revokedAt: null }) as unknown,
        expect.objectContaining({
          name: 'bot',
          revokedAt: expect.any(String) as unknown,
          lastUsedAt: expect.any(String) as unknown,
        }) as unknown,
      ]);
    },
    SPAWNS_MS,
  );

  test(
    'mistakes exit 2 with a message and no stack trace',
    async () => {
      const cases: [string[], RegExp][] = [
        [['create'], /required option '--name <name>'/],
        [['create', '--name', 'has space'], /a token name is 1 to 64/],
        [['create', '--name', 'anonymous'], /callers without a token/],
        [['create', '--name', 'ci', '--runs-per-minute', '0'], /expected a whole number from 1/],
        [
          ['create', '--name', 'ci', '--allow-net', 'https://example.com/'],
          /option '--allow-net <entry>' argument 'https:\/\/example\.com\/' is invalid/,
        ],
        [['revoke'], /missing required argument 'id'/],
        [['revoke', 'nope'], /a token id looks like tok_/],
        [['revoke', 'tok_0123456789ab'], /no token tok_0123456789ab; see `scriptbox tokens list`/],
      ];
      for (const [args, message] of cases) {
        const run = await cli(args);
        expect({ args, code: run.code }).toEqual({ args, code: 2 });
        expect(run.stderr).toMatch(message);
        expect(run.stderr).not.toMatch(/ at .*\.ts:\d+/);
        expect(run.stdout).toBe('');
      }
      await ok(['create', '--name', 'ci']);
      const taken = await cli(['create', '--name', 'ci', '--json']);
      expect([taken.code, taken.stdout]).toEqual([2, '']);
      expect(taken.stderr).toMatch(/a token named ci exists/);
    },
    SPAWNS_MS,
  );
});
