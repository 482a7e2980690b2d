/**
 * Granted network through the faces, over real sandboxes, the real egress proxy and real servers on
 * 127.0.0.1: POST /v1/runs with `network` (the result's report, an audit entry per proxy decision, never a
 * payload), a request beyond the server's policy or the caller's token (403 NETWORK_NOT_PERMITTED before
 * anything runs), the MCP run_code tool, and `scriptbox run --allow-net` on the command line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/access/guard.js';
import { createToken } from '../../src/access/tokens.js';
import { createServer } from '../../src/faces/http/server.js';
import { createEngine, type Engine, type RunResult } from '../../src/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { createToolbox } from '../../src/tools/index.js';
import { useNetServers } from '../support/net-servers.js';
import { runCli } from './cli-process.js';

const servers = useNetServers(['allowed.test', 'other.test']);
let dir: string;
let engine: Engine;
let library: Library;
let app: FastifyInstance;

/** Fetches `allowed` (printing its body) and then `refused` (printing the error class it got). */
function fetchTwice(allowed: string, refused: string): string {
  return [
    'import urllib.request',
    `print(urllib.request.urlopen(${JSON.stringify(allowed)}, timeout=10).read().decode())`,
    'try:',
    `    urllib.request.urlopen(${JSON.stringify(refused)}, timeout=10)`,
    '    print("reached")',
    'except Exception as e:',
    '    print("refused", type(e).__name__)',
  ].join('\n');
}

beforeAll(async () => {
  const s = servers();
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-network-faces-'));
  engine = await createEngine({
    pool: { size: 0 },
    limits: { timeoutMs: 20_000 },
    network: {
      allow: [`allowed.test:${s.http.port}`, `other.test:${s.http.port}`],
      allowPrivate: true,
      resolve: [s.resolve('allowed.test'), s.resolve('other.test')],
    },
  });
  library = openLibrary({ home: join(dir, 'home') });
  app = await createServer({ engine, library, guard: createGuard({ library }) });
}, 60_000);

afterAll(async () => {
  await app?.close();
  library?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/runs with network', () => {
  it('runs with the grant, reports the network and audits each decision without payloads', async () => {
    const port = servers().http.port;
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      payload: {
        language: 'python',
        source: fetchTwice(
          servers().http.url('allowed.test', '/echo-host'),
          servers().http.url('other.test', '/ok'),
        ),
        network: { allow: [`allowed.test:${port}`] },
      },
    });
    expect(answer.statusCode).toBe(200);
    const result = answer.json<RunResult>();
    expect(result.stdout.split('\n').slice(0, 2)).toEqual([
      `allowed.test:${port}`,
      expect.stringMatching(/^refused /),
    ]);
    // The refused request is counted too: requests are what the script attempted.
    expect(result.network).toMatchObject({ requests: 2, statuses: [200] });
    expect(result.network?.refused).toEqual([
      {
        destination: `other.test:${port}`,
        reason: expect.stringContaining('not on the allowed hosts') as unknown,
      },
    ]);

    const entries = library.audit().filter((entry) => entry.action.startsWith('network.'));
    expect(
      entries
        .map(({ who, action, target }) => ({ who, action, target }))
        .sort((a, b) => a.action.localeCompare(b.action)),
    ).toEqual([
      { who: 'anonymous', action: 'network.allowed', target: `allowed.test:${port}` },
      { who: 'anonymous', action: 'network.refused', target: `other.test:${port}` },
    ]);
    const allowed = entries.find((entry) => entry.action === 'network.allowed');
    expect(allowed?.details).toMatchObject({ protocol: 'http', status: 200 });
    expect(Number(allowed?.details['bytesIn'])).toBeGreaterThan(0);
    // Payloads are never audited: the page body (the Host it echoed) is not in any entry's details.
    expect(JSON.stringify(entries.map((entry) => entry.details))).not.toContain(
      '"allowed.test:' + port + '\\n',
    );
    const run = library.audit().find((entry) => entry.action === 'run');
    expect(run?.details['network']).toEqual({
      requests: 2,
      bytesIn: result.network?.bytesIn,
      bytesOut: result.network?.bytesOut,
      refused: 1,
    });
  }, 60_000);

  it("refuses a destination beyond the server's policy with 403 before anything runs", async () => {
    const before = library.audit().length;
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      payload: { language: 'python', source: 'print(1)', network: { allow: ['example.com'] } },
    });
    expect(answer.statusCode).toBe(403);
    const body = answer.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe('NETWORK_NOT_PERMITTED');
    expect(body.error.message).toContain('example.com');
    // Only the refusal itself is audited: no run happened.
    expect(
      library
        .audit()
        .slice(0, library.audit().length - before)
        .map((e) => e.action),
    ).toEqual(['run']);
  });

  it("refuses what the caller's token does not allow, though the server would", async () => {
    const port = servers().http.port;
    const { token } = createToken(library, { name: 'narrow', netAllow: [`allowed.test:${port}`] });
    const headers = { authorization: `Bearer ${token}` };
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers,
      payload: { language: 'python', source: 'print(1)', network: { allow: [`other.test:${port}`] } },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(
      new RegExp(`token of narrow may not reach other\\.test:${port}`),
    );
    const granted = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers,
      payload: {
        language: 'python',
        source: fetchTwice(
          servers().http.url('allowed.test', '/ok'),
          servers().http.url('other.test', '/ok'),
        ),
        network: { allow: [`allowed.test:${port}`] },
      },
    });
    expect(granted.statusCode).toBe(200);
    expect(granted.json<RunResult>().stdout).toMatch(/^ok\nrefused /);
  }, 60_000);
});

describe('MCP run_code with network', () => {
  it('passes the grant to the run and reports the network in its result', async () => {
    const toolbox = createToolbox({ engine, library });
    try {
      const port = servers().http.port;
      const output = (await toolbox.registry.call('run_code', {
        language: 'python',
        source: fetchTwice(
          servers().http.url('allowed.test', '/ok'),
          servers().http.url('other.test', '/ok'),
        ),
        network: { allow: [`allowed.test:${port}`] },
      })) as RunResult;
      expect(output.stdout).toMatch(/^ok\nrefused /);
      expect(output.network?.refused.map((r) => r.destination)).toEqual([`other.test:${port}`]);
    } finally {
      await toolbox.close();
    }
  }, 60_000);
});

describe('scriptbox run --allow-net', () => {
  it('grants the named host only and says what was refused in its summary', async () => {
    const port = servers().http.port;
    const script = join(dir, 'fetch.py');
    writeFileSync(
      script,
      fetchTwice(servers().http.url('allowed.test', '/ok'), servers().http.url('other.test', '/ok')),
    );
    const done = await runCli(
      [
        'run',
        script,
        '--allow-net',
        `allowed.test:${port}`,
        '--resolve',
        'allowed.test:127.0.0.1',
        '--resolve',
        'other.test:127.0.0.1',
        '--allow-private-net',
      ],
      { cwd: dir },
    );
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^ok\nrefused /);
    expect(done.stderr).toMatch(
      new RegExp(`net 2 requests, .* in, .* out, refused other\\.test:${port} \\(.*not on the allowed hosts`),
    );
    const bad = await runCli(['run', script, '--allow-net', 'http://example.com/'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--allow-net/);
  }, 60_000);
});
