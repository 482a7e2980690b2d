/**
 * MCP over streamable HTTP: mountMcpHttp on a bare Fastify instance on loopback, driven by the SDK's Client
 * over StreamableHTTPClientTransport, with a recording ServiceGuard. Real sandboxes and library.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ElicitRequestSchema,
  type CallToolResult,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine, type EngineEvents } from '../../src/index.js';
import { tableToCsv } from '../../src/workflows/analysis/canonical-csv.js';
import { housing } from './analysis/datasets.js';
import { waitUntil } from '../support/wait.js';
import { mountMcpHttp, type McpHttpMount } from '../../src/faces/mcp/index.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import type { Principal, ServiceGuard } from '../../src/access/guard-types.js';
import { createToolbox, type Toolbox } from '../../src/tools/index.js';

const TOKENS: Record<string, string> = {
  'Bearer t-alice': 'alice',
  'Bearer t-bob': 'bob',
  'Bearer t-limited': 'limited',
};

/** Records what the MCP face asks of the guard; `limited` is always over its rate limit. */
class RecordingGuard implements ServiceGuard {
  readonly tokensRequired = true;
  readonly admitted: string[] = [];
  readonly charged: Array<[string, number]> = [];
  readonly audits: Array<{ who: string; action: string; target: string; details: Record<string, unknown> }> =
    [];
  authenticate(authorization: string | undefined): Principal {
    const name = TOKENS[authorization ?? ''];
    if (name === undefined)
      throw Object.assign(new Error('a valid API token is required'), { statusCode: 401 });
    return { tokenId: `t-${name}`, name };
  }
  admitNetwork(): void {
    // every destination is allowed here
  }
  admitRun(principal: Principal): void {
    this.admitted.push(principal.name);
    if (principal.name === 'limited') throw new Error('RATE_LIMITED: too many runs, retry in 30 s');
  }
  chargeCpu(principal: Principal, cpuMs: number): void {
    this.charged.push([principal.name, cpuMs]);
  }
  audit(principal: Principal, action: string, target: string, details: Record<string, unknown>): void {
    this.audits.push({ who: principal.name, action, target, details });
  }
}

let home: string;
let engine: Engine;
let library: Library;
let box: Toolbox;
let app: FastifyInstance;
let mount: McpHttpMount;
let url: URL;
const guard = new RecordingGuard();

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-mcp-http-'));
  engine = await createEngine({ pool: { size: 0 } });
  library = openLibrary({ home });
  const templates = createTemplateRegistry();
  box = createToolbox({ engine, library, templates });
  app = Fastify();
  mount = mountMcpHttp(app, { registry: box.registry, library, templates, guard });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = new URL(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/mcp`);
});
afterAll(async () => {
  await app.close();
  await box.close();
  await engine.close();
  library.close();
  rmSync(home, { recursive: true, force: true });
});

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
  asked: string[];
}

/** A client with the given token; with `answer`, it supports elicitation and answers every request so. */
async function connect(token: string, answer?: () => ElicitResult): Promise<Connected> {
  const asked: string[] = [];
  const client = new Client(
    { name: 'scriptbox-test', version: '1.0.0' },
    answer ? { capabilities: { elicitation: { form: {} } } } : {},
  );
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return answer();
    });
  }
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport, asked };
}

const text = (result: CallToolResult): string =>
  result.content.map((item) => (item.type === 'text' ? item.text : '')).join('');

/** A raw POST to /mcp, for what the SDK client would never send. */
function rawPost(headers: Record<string, string>, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let data = '';
        res.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('MCP over streamable HTTP', () => {
  test('lists tools, runs code in the sandbox, and the guard admits, charges and audits the run', async () => {
    const { client } = await connect('t-alice');
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'update_script')?.annotations).toMatchObject({
      destructiveHint: true,
    });
    expect(tools.find((tool) => tool.name === 'search_scripts')?.annotations).toMatchObject({
      readOnlyHint: true,
    });
    const result = (await client.callTool({
      name: 'run_code',
      arguments: { language: 'javascript', source: 'console.log([1, 2, 3].map((x) => x * 2).join(","))' },
    })) as CallToolResult;
    expect(result.structuredContent).toMatchObject({ ok: true, language: 'javascript', stdout: '2,4,6\n' });
    expect(guard.admitted).toContain('alice');
    expect(guard.charged.some(([who, cpuMs]) => who === 'alice' && cpuMs > 0)).toBe(true);
    expect(guard.audits).toContainEqual(
      expect.objectContaining({
        who: 'alice',
        action: 'mcp.run_code',
        details: expect.objectContaining({ ok: true }) as unknown,
      }),
    );
    await client.close();
  });

  test('reads a template and a saved script as resources', async () => {
    const { client } = await connect('t-alice');
    const template = await client.readResource({ uri: 'scriptbox://templates/stats/correlation' });
    expect(template.contents[0]).toHaveProperty('text', expect.stringMatching(/"id": "stats\/correlation"/));
    library.save({ category: 'http', task: 'show', language: 'bash', source: 'echo shown\n' });
    const script = await client.readResource({ uri: 'scriptbox://scripts/http_show_001.sh' });
    expect(script.contents).toEqual([
      { uri: 'scriptbox://scripts/http_show_001.sh', mimeType: 'text/x-shellscript', text: 'echo shown\n' },
    ]);
    await client.close();
  });

  test('delete_script asks through elicitation: declined changes nothing, accepted deletes', async () => {
    library.save({ category: 'http', task: 'victim', language: 'python', source: 'print(1)\n' });
    const declining = await connect('t-alice', () => ({ action: 'decline' }));
    const refused = (await declining.client.callTool({
      name: 'delete_script',
      arguments: { name: 'http_victim_001.py', confirm: true },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe(
      'delete_script http_victim_001.py was not run: the user declined (nothing changed).',
    );
    expect(declining.asked).toEqual([expect.stringMatching(/^Delete a saved script http_victim_001\.py: /)]);
    expect(library.get('http_victim_001.py').source).toBe('print(1)\n');
    await declining.client.close();

    const unticked = await connect('t-alice', () => ({ action: 'accept', content: { confirm: false } }));
    const kept = (await unticked.client.callTool({
      name: 'delete_script',
      arguments: { name: 'http_victim_001.py' },
    })) as CallToolResult;
    expect(text(kept)).toMatch(/was not run: the user did not confirm/);
    expect(library.get('http_victim_001.py').version).toBe(1);
    await unticked.client.close();

    const accepting = await connect('t-alice', () => ({ action: 'accept', content: { confirm: true } }));
    const done = (await accepting.client.callTool({
      name: 'delete_script',
      arguments: { name: 'http_victim_001.py' },
    })) as CallToolResult;
    expect(done.isError).toBeFalsy();
    expect(done.structuredContent).toEqual({ name: 'http_victim_001.py', versions: 1, runs: 0 });
    expect(accepting.asked).toHaveLength(1);
    expect(() => library.get('http_victim_001.py')).toThrow(/http_victim_001/);
    await accepting.client.close();
  });

  test('a rate-limited caller gets a tool error and is charged nothing', async () => {
    const { client } = await connect('t-limited');
    const result = (await client.callTool({
      name: 'run_code',
      arguments: { language: 'python', source: 'print(1)' },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/too many runs/);
    expect(guard.charged.some(([who]) => who === 'limited')).toBe(false);
    await client.close();
  });

  test('DNS rebinding: a Host header that is not localhost is refused', async () => {
    const port = url.port;
    for (const host of [`evil.example:${port}`, `localhost.evil.example:${port}`, 'evil.example']) {
      const reply = await rawPost({ host, authorization: 'Bearer t-alice' }, INITIALIZE);
      expect([host, reply.status]).toEqual([host, 403]);
      expect(reply.body).toMatch(/Invalid Host header/);
    }
    const ok = await rawPost({ host: `localhost:${port}`, authorization: 'Bearer t-alice' }, INITIALIZE);
    expect(ok.status).toBe(200);
  });

  test("no token is 401; someone else's session id is 404", async () => {
    expect((await rawPost({}, INITIALIZE)).status).toBe(401);
    const alice = await connect('t-alice');
    const sessionId = alice.transport.sessionId ?? '';
    expect(sessionId).not.toBe('');
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const stolen = await rawPost(
      { authorization: 'Bearer t-bob', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      list,
    );
    expect(stolen.status).toBe(404);
    const noSession = await rawPost({ authorization: 'Bearer t-alice' }, list);
    expect(noSession.status).toBe(400);
    expect((await alice.client.listTools()).tools.length).toBeGreaterThan(10);
    await alice.client.close();
  });

  test('analyze_table cancelled by the client: its run ends as cancelled and its sandbox is destroyed', async () => {
    const { client } = await connect('t-alice');
    const controller = new AbortController();
    let sandboxId: string | undefined;
    const destroyed = new Set<string>();
    const finished: Array<EngineEvents['run:finish']> = [];
    // The client cancels once the run's sandbox is up (the script then imports pandas and reads the table).
    const onCreate = (event: EngineEvents['sandbox:create']): void => {
      if (event.purpose !== 'run' || sandboxId !== undefined) return;
      sandboxId = event.sandboxId;
      controller.abort();
    };
    const onDestroy = (event: EngineEvents['sandbox:destroy']): void => void destroyed.add(event.sandboxId);
    let ended: (event: EngineEvents['run:finish']) => void = () => undefined;
    const runEnded = new Promise<EngineEvents['run:finish']>((resolve) => (ended = resolve));
    const onFinish = (event: EngineEvents['run:finish']): void => {
      finished.push(event);
      ended(event);
    };
    engine.events.on('sandbox:create', onCreate).on('sandbox:destroy', onDestroy).on('run:finish', onFinish);
    try {
      const call = client.callTool(
        {
          name: 'analyze_table',
          arguments: {
            table: { name: 'flats.csv', content: tableToCsv(housing()) },
            analysis: 'descriptive',
          },
        },
        undefined,
        { signal: controller.signal },
      );
      await expect(call).rejects.toThrow();
      const finish = await runEnded;
      expect(finish.kind).toBe('cancelled');
      expect(finished).toHaveLength(1);
      await waitUntil(() => sandboxId !== undefined && destroyed.has(sandboxId), {
        what: 'the sandbox:destroy event of the cancelled run',
      });
    } finally {
      engine.events
        .off('sandbox:create', onCreate)
        .off('sandbox:destroy', onDestroy)
        .off('run:finish', onFinish);
      await client.close();
    }
  });

  test('closing the Fastify instance closes every MCP session', async () => {
    const { client } = await connect('t-bob');
    expect(mount.sessionCount).toBeGreaterThan(0);
    await app.close();
    expect(mount.sessionCount).toBe(0);
    await client.close();
  });
});
