/**
 * Extraction end to end over real sandboxes, the real egress proxy and real HTTP servers on 127.0.0.1
 * (the operator's policy maps the test names there and allows private addresses): 20 sources with three
 * failing in different ways keep their order and report each failure's kind; the HTTP route (JSON and
 * Server-Sent Events, and a host outside the policy refused as a whole); the MCP tool; --prompt with the
 * fake LLM server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, ServiceGuard } from '../../src/access/guard-types.js';
import { createEngine, type Engine } from '../../src/index.js';
import { createServer } from '../../src/faces/http/server.js';
import { createLlmProvider } from '../../src/generate/llm/provider.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { extractText } from '../../src/tools/builtin-extract.js';
import { createToolbox } from '../../src/tools/index.js';
import {
  extractWithPrompt,
  runExtraction,
  type ExtractionResult,
  type ExtractLogEntry,
  type ExtractProgress,
  type Source,
} from '../../src/workflows/extract/index.js';
import { useNetServers } from '../support/net-servers.js';
import { EXTRACT_SCRIPT } from './extract-fixtures.js';
import { FakeChatCompletions } from './fake-chat-completions.js';

const servers = useNetServers(['allowed.test', 'other.test']);
let engine: Engine;

/** 20 sources on allowed.test; 5 fetches other.test (not granted), 11 prints garbage, 17 crashes. */
function twentySources(): Source[] {
  return Array.from({ length: 20 }, (_, id) => {
    const source: Source = { url: servers().http.url('allowed.test', `/json?page=${id}`), id };
    if (id === 5) source.fetch = servers().http.url('other.test', '/json');
    if (id === 11) source.mode = 'garbage';
    if (id === 17) source.mode = 'crash';
    return source;
  });
}

beforeAll(async () => {
  const s = servers();
  engine = await createEngine({
    pool: { size: 0 },
    limits: { timeoutMs: 20_000 },
    network: {
      allow: [`allowed.test:${s.http.port}`, `other.test:${s.http.port}`],
      allowPrivate: true,
      resolve: [s.resolve('allowed.test'), s.resolve('other.test')],
      trustCaFile: s.ca.caFile,
    },
  });
}, 60_000);

afterAll(async () => {
  await engine?.close();
});

function expectTwentyWithThreeFailures(result: ExtractionResult): void {
  expect(result.sources.map((source) => source.index)).toEqual([...Array(20).keys()]);
  expect(result.sources.map((source) => source.source.id)).toEqual([...Array(20).keys()]);
  const kinds = Object.fromEntries(
    result.sources.filter((source) => !source.ok).map((source) => [source.index, source.error?.kind]),
  );
  expect(kinds).toEqual({ 5: 'network', 11: 'output', 17: 'runtime' });
  expect(result.summary).toMatchObject({ sources: 20, succeeded: 17, failed: 3, records: 51 });
  expect(result.summary.byKind).toEqual({ ok: 17, network: 1, output: 1, runtime: 1 });
  expect(result.ok).toBe(false);
  const third = result.sources[3];
  expect(third?.records).toEqual(
    [1, 2, 3].map((item) => ({
      id: 3,
      item,
      host: `allowed.test:${servers().http.port}`,
      src: servers().http.url('allowed.test', '/json?page=3'),
    })),
  );
  expect(third?.metadata).toMatchObject({ requests: 1, statuses: [200], recordCount: 3 });
  expect(third?.metadata.bytesIn).toBeGreaterThan(40);
  expect(third?.metadata.cpuMs).toBeGreaterThan(0);
  expect(third?.metadata.cpuMs).toBeLessThanOrEqual((third?.metadata.durationMs ?? 0) + 50);
  const network = result.sources[5];
  expect(network?.metadata.refused[0]?.destination).toBe(`other.test:${servers().http.port}`);
  expect(network?.error?.hint).toContain(`--allow-net other.test:${servers().http.port}`);
  expect(result.sources[11]?.error?.message).toMatch(
    /^line 1 of the output is not JSON .*"Done scraping, no JSON here"/,
  );
  expect(result.sources[17]?.error?.message).toMatch(/ValueError: no price on page 17/);
  // The traceback names the script's own line: nothing is put into the script any more.
  expect(result.sources[17]?.stderr).toMatch(/line 10, in <module>/);
}

describe('runExtraction', () => {
  it('runs 20 sources keeping their order, reporting each failure with its kind', async () => {
    const progress: ExtractProgress[] = [];
    const logs: ExtractLogEntry[] = [];
    const result = await runExtraction(engine, {
      script: { language: 'python', source: EXTRACT_SCRIPT },
      sources: twentySources(),
      concurrency: 6,
      onProgress: (p) => progress.push(p),
      log: (entry) => logs.push(entry),
    });
    expectTwentyWithThreeFailures(result);
    expect(progress.map((p) => p.done)).toEqual([...Array(20).keys()].map((i) => i + 1));
    expect(progress.at(-1)).toMatchObject({ total: 20, succeeded: 17, failed: 3 });
    expect(logs[0]).toMatchObject({ event: 'extract.start', sources: 20, language: 'python' });
    expect(logs.at(-1)).toMatchObject({ event: 'extract.done', succeeded: 17, failed: 3, records: 51 });
    const errors = logs.filter((entry) => entry.event === 'source.error').map((entry) => entry.index);
    expect(errors.sort((a, b) => Number(a) - Number(b))).toEqual([5, 11, 17]);
    // Targets are logged without their query (a query may carry a key).
    expect(logs.find((entry) => entry.event === 'source.start')?.target).toMatch(/\/json\?…$/);
  }, 120_000);

  it.each([
    ['python', 'import os, json\nprint(json.dumps([{"url": os.environ["SOURCE_URL"]}]))\n'],
    ['javascript', 'console.log(JSON.stringify([{ url: process.env.SOURCE_URL }]));\n'],
    ['bash', '#!/bin/bash\nprintf \'[{"url": "%s"}]\\n\' "$SOURCE_URL"\n'],
  ])(
    'gives a %s script each source’s URL as SOURCE_URL, exactly',
    async (language, source) => {
      // Quotes and a command substitution in the query reach the script as written, never evaluated.
      const urls = [
        servers().http.url('allowed.test', "/ok?q=$(echo%20EVALUATED)&x='y'&n=1"),
        servers().http.url('allowed.test', '/ok?n=2#frag'),
      ];
      const result = await runExtraction(engine, {
        script: { language, source },
        sources: urls.map((url) => ({ url })),
      });
      expect(result.sources.map((s) => s.error)).toEqual([null, null]);
      expect(result.sources.map((s) => s.records)).toEqual(urls.map((url) => [{ url }]));
    },
    60_000,
  );

  it('reports a syntax error once per source at the line of the script as written', async () => {
    const result = await runExtraction(engine, {
      script: { language: 'python', source: 'import json\nprint(json.dumps([])\n' },
      sources: [{ url: servers().http.url('allowed.test', '/ok') }],
    });
    expect(result.sources[0]?.error).toMatchObject({ kind: 'syntax', runKind: 'syntax', line: 2 });
  }, 60_000);

  it('reports a stalled source as a timeout', async () => {
    const result = await runExtraction(engine, {
      script: { language: 'python', source: EXTRACT_SCRIPT.replace('timeout=10', 'timeout=60') },
      sources: [
        { url: servers().http.url('allowed.test', '/json'), id: 0 },
        { url: servers().http.url('allowed.test', '/stall'), id: 1 },
      ],
      limits: { timeoutMs: 3_000 },
    });
    expect(result.sources.map((source) => source.error?.kind ?? 'ok')).toEqual(['ok', 'timeout']);
  }, 60_000);

  it('refuses the whole extraction before anything runs when a host is outside the policy', async () => {
    await expect(
      runExtraction(engine, {
        script: { language: 'python', source: 'print(1)' },
        sources: [{ url: servers().http.url('allowed.test', '/ok') }, { url: 'http://elsewhere.test/' }],
      }),
    ).rejects.toMatchObject({ code: 'NETWORK_NOT_PERMITTED' });
  });
});

describe('faces', () => {
  let home: string;
  let library: Library;
  let app: FastifyInstance;
  const audit: string[] = [];
  const charged: number[] = [];
  const admitted: Array<readonly string[]> = [];

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'scriptbox-extract-'));
    library = openLibrary({ home });
    const guard: ServiceGuard = {
      tokensRequired: false,
      authenticate: (): Principal => ({ tokenId: null, name: 'anonymous' }),
      admitRun: () => undefined,
      admitNetwork: (_principal, allow) => void admitted.push(allow),
      chargeCpu: (_principal, cpuMs) => void charged.push(cpuMs),
      audit: (_principal, action) => void audit.push(action),
    };
    const s = servers();
    const serverEngine = await createEngine({
      pool: { size: 0 },
      network: {
        allow: [`allowed.test:${s.http.port}`, `other.test:${s.http.port}`],
        allowPrivate: true,
        resolve: [s.resolve('allowed.test'), s.resolve('other.test')],
      },
    });
    app = await createServer({ engine: serverEngine, library, guard });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const body = () => ({
    script: { language: 'python', source: EXTRACT_SCRIPT },
    sources: twentySources(),
    concurrency: 8,
  });

  it('POST /v1/extract answers the result as JSON, charging the CPU time of its runs', async () => {
    charged.length = 0;
    const answer = await app.inject({ method: 'POST', url: '/v1/extract', payload: body() });
    expect(answer.statusCode).toBe(200);
    const result = answer.json<ExtractionResult>();
    expectTwentyWithThreeFailures(result);
    expect(audit).toContain('extract');
    const cpuMs = result.sources.reduce((sum, source) => sum + source.metadata.cpuMs, 0);
    const wallMs = result.sources.reduce((sum, source) => sum + source.metadata.durationMs, 0);
    expect(cpuMs).toBeGreaterThan(0);
    expect(cpuMs).not.toBe(wallMs);
    expect(charged).toEqual([cpuMs]);
  }, 120_000);

  it('POST /v1/extract streams source and progress events, then the result', async () => {
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: body(),
      headers: { accept: 'text/event-stream' },
    });
    expect(answer.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = [...answer.body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map(([, name, data]) => ({
      name,
      data: JSON.parse(data ?? 'null') as unknown,
    }));
    expect(events.filter((e) => e.name === 'source')).toHaveLength(20);
    expect(events.filter((e) => e.name === 'progress').map((e) => (e.data as ExtractProgress).done)).toEqual(
      [...Array(20).keys()].map((i) => i + 1),
    );
    expect(events.at(-1)?.name).toBe('result');
    expectTwentyWithThreeFailures(events.at(-1)?.data as ExtractionResult);
  }, 120_000);

  it('POST /v1/extract refuses hosts outside the policy with 403 before anything runs', async () => {
    const before = audit.length;
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: {
        script: { language: 'python', source: 'print(1)' },
        sources: [{ url: 'https://elsewhere.test/x' }],
      },
    });
    expect(answer.statusCode).toBe(403);
    const error = answer.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('NETWORK_NOT_PERMITTED');
    expect(error.message).toContain('elsewhere.test');
    expect(audit.length).toBe(before);
  });

  it('the MCP tool extract_sources names the hosts it asks for, so a token can be checked first', async () => {
    const box = createToolbox({ engine, library });
    try {
      const port = servers().http.port;
      const prepared = box.registry.get('extract_sources').prepare({ ...body(), allow: ['api.example.org'] });
      expect([...prepared.network]).toEqual([`allowed.test:${port}`, 'api.example.org']);
    } finally {
      await box.close();
    }
  });

  it('the MCP tool extract_sources runs the same extraction, metering its CPU time', async () => {
    const box = createToolbox({ engine, library });
    try {
      const done = await box.registry
        .get('extract_sources')
        .prepare(body())
        .run({ signal: new AbortController().signal });
      const output = done.output as ExtractionResult;
      expectTwentyWithThreeFailures(output);
      expect(done.cpuMs).toBe(output.sources.reduce((sum, source) => sum + source.metadata.cpuMs, 0));
      expect(extractText(output)).toMatch(/^20 sources: 17 ok, 3 failed, 51 records in \d+ ms\n\[5\] /);
    } finally {
      await box.close();
    }
  }, 120_000);
});

describe('extractWithPrompt', () => {
  const llm = new FakeChatCompletions();
  let baseUrl = '';
  beforeAll(async () => {
    baseUrl = await llm.start();
  });
  afterAll(async () => {
    await llm.close();
  });

  it('asks with the first page, repairs output that is not records, then runs every source', async () => {
    const broken =
      'import os, urllib.request\nbody = urllib.request.urlopen(os.environ["SOURCE_URL"]).read()\nprint("found", len(body), "bytes")\n';
    const fixed =
      'import json, os, urllib.request\ndata = json.load(urllib.request.urlopen(os.environ["SOURCE_URL"]))\n' +
      'print(json.dumps([{"item": i} for i in data["items"]]))\n';
    llm.replies = [{ content: `\`\`\`python\n${broken}\`\`\`` }, { content: `\`\`\`python\n${fixed}\`\`\`` }];
    const provider = createLlmProvider({ baseUrl, model: 'fake' });
    const sources = [0, 1, 2].map((i) => ({ url: servers().http.url('allowed.test', `/json?p=${i}`) }));
    const outcome = await extractWithPrompt(engine, { prompt: 'the items', sources, provider });
    const asked = llm.messages()[0]?.at(-1)?.content ?? '';
    expect(asked).toContain('What to extract: the items');
    expect(asked).toContain('"items":[1,2,3]'); // the page excerpt, fetched in the sandbox
    // How the script runs is the system prompt's own rules now, in place of the general ones.
    const system = llm.messages()[0]?.[0]?.content ?? '';
    expect(system).toContain('its URL is also in the environment variable SOURCE_URL');
    expect(system).toContain(`open to the source's host (allowed.test:${servers().http.port}) only`);
    expect(system).toContain('ONE JSON array of objects');
    expect(system).not.toMatch(/There is no network|Standard input is empty|ONE JSON object and/);
    expect(asked).not.toMatch(/rules/);
    expect(outcome.page).toMatchObject({ ok: true, status: 200 });
    expect(outcome.generation.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(llm.messages()[1]?.at(-1)?.content).toMatch(/the output is not the records/);
    expect(outcome.extraction?.summary).toMatchObject({ sources: 3, succeeded: 3, records: 9 });
  }, 120_000);
});
