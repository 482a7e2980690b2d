/**
 * The extraction faces beyond a given script, over real sandboxes, the real egress proxy, real HTTP servers
 * on 127.0.0.1, a real service guard (its audit log in the library) and the fake LLM server: POST
 * /v1/extract audits every egress decision of its runs (never a payload); `prompt` in place of `script` over
 * HTTP (JSON and Server-Sent Events, saved to the library), both or neither refused, no model configured,
 * a host outside the policy refused before the model is asked; the MCP tool with a prompt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/access/guard.js';
import { createServer } from '../../src/faces/http/server.js';
import { createLlmProvider } from '../../src/generate/llm/provider.js';
import { createEngine, type Engine } from '../../src/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import type { EgressEvent } from '../../src/network/proxy.js';
import { createToolbox } from '../../src/tools/index.js';
import type { ExtractionWithScript, ExtractProgress, Source } from '../../src/workflows/extract/index.js';
import { useNetServers } from '../support/net-servers.js';
import { EXTRACT_SCRIPT } from './extract-fixtures.js';
import { FakeChatCompletions } from './fake-chat-completions.js';

const servers = useNetServers(['allowed.test', 'other.test']);
const llm = new FakeChatCompletions();
let dir: string;
let engine: Engine;
let library: Library;
let app: FastifyInstance;
let noModel: FastifyInstance;
let baseUrl = '';

/** A script that prints the items of its source's JSON page as records. */
const ITEMS_SCRIPT =
  'import json, os, urllib.request\ndata = json.load(urllib.request.urlopen(os.environ["SOURCE_URL"], timeout=10))\n' +
  'print(json.dumps([{"item": i, "host": data["host"]} for i in data["items"]]))\n';
const reply = (source: string) => ({ content: `\`\`\`python\n${source}\`\`\`` });
const threeSources = (): Source[] =>
  [0, 1, 2].map((i) => ({ url: servers().http.url('allowed.test', `/json?p=${i}`) }));

type Events = Array<{ name: string; data: unknown }>;
const eventsOf = (body: string): Events =>
  [...body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map(([, name, data]) => ({
    name: name ?? '',
    data: JSON.parse(data ?? 'null') as unknown,
  }));
type ErrorAnswer = { error: { code: string; message: string } };

beforeAll(async () => {
  const s = servers();
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-extract-faces-'));
  baseUrl = await llm.start();
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
  const guard = createGuard({ library });
  const provider = createLlmProvider({ baseUrl, model: 'fake' });
  app = await createServer({ engine, library, guard, llm: provider });
  noModel = await createServer({ engine, library, guard });
}, 60_000);

beforeEach(() => llm.reset());

afterAll(async () => {
  await app?.close();
  await noModel?.close();
  await llm.close();
  library?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/extract audits the network of its runs', () => {
  it('leaves network.allowed naming each source host and network.refused, never a payload', async () => {
    const port = servers().http.port;
    const before = library.audit().length;
    const sources: Source[] = [
      { url: servers().http.url('allowed.test', '/json'), id: 0 },
      { url: servers().http.url('other.test', '/json'), id: 1 },
      // Granted allowed.test only: its fetch of other.test is refused by the proxy.
      {
        url: servers().http.url('allowed.test', '/json'),
        id: 2,
        fetch: servers().http.url('other.test', '/json'),
      },
    ];
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { script: { language: 'python', source: EXTRACT_SCRIPT }, sources },
    });
    expect(answer.statusCode).toBe(200);
    const result = answer.json<ExtractionWithScript>();
    expect(result.sources.map((source) => source.error?.kind ?? 'ok')).toEqual(['ok', 'ok', 'network']);
    expect(result.generated).toBeUndefined();

    const entries = library.audit().slice(0, library.audit().length - before);
    const network = entries.filter((entry) => entry.action.startsWith('network.'));
    const allowed = network.filter((entry) => entry.action === 'network.allowed');
    expect(new Set(allowed.map((entry) => entry.target))).toEqual(
      new Set([`allowed.test:${port}`, `other.test:${port}`]),
    );
    expect(allowed.every((entry) => entry.who === 'anonymous')).toBe(true);
    expect(allowed[0]?.details).toMatchObject({ protocol: 'http', status: 200 });
    expect(network.filter((entry) => entry.action === 'network.refused')).toEqual([
      expect.objectContaining({
        action: 'network.refused',
        target: `other.test:${port}`,
        details: expect.objectContaining({
          reason: expect.stringContaining('not on the allowed hosts') as unknown,
        }) as unknown,
      }),
    ]);
    // Payloads are never audited: neither the pages' JSON nor the script's records are in any detail.
    const details = JSON.stringify(network.map((entry) => entry.details));
    expect(details).not.toMatch(/items|"host":|\[1,2,3\]/);
    expect(entries.find((entry) => entry.action === 'extract')?.details).toMatchObject({
      sources: 3,
      succeeded: 2,
      failed: 1,
    });
  }, 60_000);
});

describe('POST /v1/extract with a prompt', () => {
  it('has the model write the script, runs it over every source and answers it as `generated`', async () => {
    llm.replies = [reply(ITEMS_SCRIPT)];
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { prompt: 'the items', sources: threeSources(), save: { task: 'items' } },
    });
    expect(answer.statusCode, answer.body).toBe(200);
    const result = answer.json<ExtractionWithScript>();
    expect(result.summary).toMatchObject({ sources: 3, succeeded: 3, records: 9 });
    expect(result.generated).toMatchObject({
      ok: true,
      language: 'python',
      source: ITEMS_SCRIPT,
      saved: 'extract_items_001.py',
      page: { ok: true, status: 200 },
    });
    expect(result.generated?.attempts.map((attempt) => attempt.ok)).toEqual([true]);
    expect(result.generated?.attempts[0]).not.toHaveProperty('reply');
    expect(llm.messages()[0]?.at(-1)?.content).toContain('What to extract: the items');
    // Saved in the server's library, by the caller.
    expect(library.get('extract_items_001.py').source).toBe(ITEMS_SCRIPT);
    // The newest entry first.
    const audit = library.audit().filter((entry) => entry.action === 'extract');
    expect(audit[0]?.details).toMatchObject({
      ok: true,
      generated: { ok: true, attempts: 1, model: 'fake', saved: 'extract_items_001.py' },
    });
  }, 120_000);

  it('streams `generated` once the script is final, then sources and progress, then the result', async () => {
    const broken = 'print("no records here")\n';
    llm.replies = [reply(broken), reply(ITEMS_SCRIPT)];
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { prompt: 'the items', language: 'py', sources: threeSources() },
      headers: { accept: 'text/event-stream' },
    });
    expect(answer.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = eventsOf(answer.body);
    expect(events.map((event) => event.name)).toEqual([
      'generated',
      ...Array.from({ length: 3 }, () => ['source', 'progress']).flat(),
      'result',
    ]);
    expect(events[0]?.data).toMatchObject({ ok: true, source: ITEMS_SCRIPT, saved: null });
    expect((events[0]?.data as { attempts: unknown[] }).attempts).toHaveLength(2);
    expect(events.filter((e) => e.name === 'progress').map((e) => (e.data as ExtractProgress).done)).toEqual([
      1, 2, 3,
    ]);
    const result = events.at(-1)?.data as ExtractionWithScript;
    expect(result.summary).toMatchObject({ succeeded: 3, records: 9 });
    expect(result.generated).toEqual(events[0]?.data);
  }, 120_000);

  it.each([
    ['both', { script: { language: 'python', source: 'print(1)' }, prompt: 'x' }, /not both/],
    ['neither', {}, /give `script` .* or `prompt`/],
  ])('refuses %s of script and prompt with 400', async (_what, given, message) => {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { ...given, sources: threeSources() },
    });
    expect(answer.statusCode).toBe(400);
    const { error } = answer.json<ErrorAnswer>();
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.message).toMatch(message);
    expect(llm.received).toHaveLength(0);
  });

  it('without a model answers the error POST /v1/generate gives for a prompt', async () => {
    const answer = await noModel.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { prompt: 'the items', sources: threeSources() },
    });
    const generate = await noModel.inject({
      method: 'POST',
      url: '/v1/generate',
      payload: { prompt: 'the items', language: 'python' },
    });
    expect([answer.statusCode, generate.statusCode]).toEqual([400, 400]);
    const [error, expected] = [answer.json<ErrorAnswer>().error, generate.json<ErrorAnswer>().error];
    expect(error.code).toBe(expected.code);
    expect(error.message.split('\n')[0]).toBe(expected.message.split('\n')[0]);
    expect(error.message).toMatch(/^no LLM provider is configured .*SCRIPTBOX_LLM_BASE_URL/);
  });

  it('refuses a host outside the policy with 403 before the model is asked', async () => {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { prompt: 'the items', sources: [{ url: 'https://elsewhere.test/x' }] },
    });
    expect(answer.statusCode).toBe(403);
    expect(answer.json<ErrorAnswer>().error).toMatchObject({ code: 'NETWORK_NOT_PERMITTED' });
    expect(llm.received).toHaveLength(0);
  });
});

describe('the MCP tool extract_sources with a prompt', () => {
  it('takes `prompt` in place of `script` when the toolbox has a model, metered and audited', async () => {
    const provider = createLlmProvider({ baseUrl, model: 'fake' });
    const box = createToolbox({ engine, library, llm: provider });
    const plain = createToolbox({ engine, library });
    try {
      const tool = box.registry.get('extract_sources');
      expect(tool.metered).toBe(true);
      expect(() => tool.prepare({ sources: threeSources() })).toThrow(/give `script`/);
      expect(() =>
        tool.prepare({ sources: threeSources(), prompt: 'x', script: { language: 'python', source: '1' } }),
      ).toThrow(/not both/);
      expect(() =>
        plain.registry.get('extract_sources').prepare({ prompt: 'x', sources: threeSources() }),
      ).toThrow(/prompt/);

      llm.replies = [reply(ITEMS_SCRIPT)];
      const events: EgressEvent[] = [];
      const prepared = tool.prepare({ prompt: 'the items', sources: threeSources() });
      expect([...prepared.network]).toEqual([`allowed.test:${servers().http.port}`]);
      const done = await prepared.run({
        signal: new AbortController().signal,
        onNetwork: (e) => events.push(e),
      });
      const output = done.output as ExtractionWithScript;
      expect(output.summary).toMatchObject({ sources: 3, succeeded: 3, records: 9 });
      expect(output.generated).toMatchObject({ ok: true, source: ITEMS_SCRIPT, saved: null });
      // Charged the sources' runs, the attempt's run and the first page's fetch.
      const sourcesMs = output.sources.reduce((sum, source) => sum + source.metadata.cpuMs, 0);
      expect(done.cpuMs).toBeGreaterThan(sourcesMs);
      expect(done.text).toMatch(/^the model wrote a working python script in 1 attempt:\n```python\n/);
      expect(done.text).toContain('3 sources: 3 ok, 0 failed, 9 records');
      // The page fetch, the attempt and the three sources: five runs, each audited.
      expect(events.filter((e) => e.decision === 'allowed')).toHaveLength(5);
    } finally {
      await box.close();
      await plain.close();
    }
  }, 120_000);
});
