/** `scriptbox serve` as a process: binds to localhost, says where, serves, and stops cleanly on SIGTERM. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

describe('scriptbox serve', () => {
  it('listens on 127.0.0.1, prints where, answers, and exits 0 on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'scriptbox-http-serve-'));
    homes.push(home);
    const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '--port', '0', '--json'], {
      env: { ...process.env, SCRIPTBOX_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = once(child, 'close');
    let url = '';
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const listening = JSON.parse(line) as {
        url: string;
        host: string;
        port: number;
        tokensRequired: boolean;
      };
      expect(listening).toMatchObject({ host: '127.0.0.1', tokensRequired: false });
      expect(listening.url).toBe(`http://127.0.0.1:${listening.port}`);
      expect(await (await fetch(`${listening.url}/health`)).json()).toEqual({ status: 'ok' });
      const run = await fetch(`${listening.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'bash', source: 'echo served' }),
      });
      expect(((await run.json()) as { stdout: string }).stdout).toBe('served\n');
      // MCP is mounted too: without a session it asks for an initialize request.
      const mcp = await fetch(`${listening.url}/mcp`);
      expect([mcp.status, ((await mcp.json()) as { error: { message: string } }).error.message]).toEqual([
        400,
        expect.stringMatching(/initialize/),
      ]);
      url = listening.url;
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(stderr).toContain(`scriptbox: listening on ${url} (no API tokens yet`);
    expect(stderr).toContain('scriptbox: shutting down');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
