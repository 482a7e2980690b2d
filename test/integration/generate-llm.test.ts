/**
 * LLM generation against a local server that speaks the chat-completions wire format (node:http on
 * 127.0.0.1): what is sent (path, headers, model, messages, the error of attempt 1 in the repair request),
 * the repair loop in the real sandbox, provider errors without the key, and the missing-provider message.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, InvalidOptionsError, type Engine } from '../../src/index.js';
import { generateFromPrompt, type GenerationAttempt } from '../../src/generate/llm/generate.js';
import { systemPrompt } from '../../src/generate/llm/prompt.js';
import { createLlmProvider, LlmProviderError } from '../../src/generate/llm/provider.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { FakeChatCompletions } from './fake-chat-completions.js';

const KEY = 'sk-test-9f8e7d6c5b4a-SECRET';
const MODEL = 'test-coder-1';

const BROKEN =
  "```python\nimport json\nvalues = [3, 1, 2]\nprint(json.dumps({'mean': statistics.mean(values)}))\n```";
const FIXED =
  'Here is the fix:\n\n```python\nimport json, statistics\nvalues = [3, 1, 2]\nprint(json.dumps({"mean": statistics.mean(values)}))\n```\n';

let server: FakeChatCompletions;
let baseUrl: string;
let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
});
afterAll(async () => {
  await engine?.close();
});
beforeAll(async () => {
  server = new FakeChatCompletions();
  baseUrl = await server.start();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => server.reset());

const provider = (timeoutMs?: number) =>
  createLlmProvider({ baseUrl, model: MODEL, apiKey: KEY, ...(timeoutMs ? { timeoutMs } : {}) });

describe('the repair loop, run in the sandbox', () => {
  test('a runtime error goes back to the model and its fix runs: 2 attempts, final ok', async () => {
    server.replies = [{ content: BROKEN }, { content: FIXED }];
    const seen: GenerationAttempt[] = [];
    const result = await generateFromPrompt({
      prompt: 'print the mean of the numbers in numbers.txt as JSON',
      language: 'py',
      provider: provider(),
      engine,
      run: true,
      files: [{ name: 'numbers.txt', content: '3\n1\n2\n' }],
      onAttempt: (attempt) => seen.push(attempt),
    });
    expect(result.ok).toBe(true);
    expect(result.attempts.map((a) => [a.attempt, a.ok, a.error?.kind ?? null])).toEqual([
      [1, false, 'runtime'],
      [2, true, null],
    ]);
    expect(seen).toHaveLength(2);
    expect(result.attempts[1]?.run?.stdout).toBe('{"mean": 2}\n');
    expect(result.source).toContain('import json, statistics');
    expect(result.attempts[1]?.code.startsWith('Here is')).toBe(false);

    // What was sent: the endpoint, the key, the model, and the conversation.
    expect(server.received).toHaveLength(2);
    for (const request of server.received) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/v1/chat/completions');
      expect(request.headers['authorization']).toBe(`Bearer ${KEY}`);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.body.model).toBe(MODEL);
      expect(typeof request.body.temperature).toBe('number');
    }
    const [first, second] = server.received.map((r) => r.body.messages);
    expect(first?.map((m) => m.role)).toEqual(['system', 'user']);
    expect(first?.[0]?.content).toMatch(/no network/i);
    expect(first?.[0]?.content).toContain('numbers.txt');
    expect(first?.[0]?.content).toContain('pandas');
    expect(first?.[0]?.content).toContain('out/');
    expect(first?.[1]?.content).toBe('print the mean of the numbers in numbers.txt as JSON');
    expect(second?.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second?.[2]?.content).toBe(BROKEN);
    const repair = second?.[3]?.content ?? '';
    expect(repair).toContain("NameError: name 'statistics' is not defined");
    expect(repair).toContain('Traceback'); // the stderr, not only the summary line
    expect(repair).toContain(result.attempts[0]?.run?.stderr.trim().split('\n').pop() ?? '?');
  });

  test('gives up after maxAttempts, reporting every attempt; a syntax error is repaired too', async () => {
    server.replies = [{ content: '```python\nprint(\n```' }, { content: BROKEN }];
    const result = await generateFromPrompt({
      prompt: 'mean',
      language: 'python',
      provider: provider(),
      engine,
      run: true,
      maxAttempts: 2,
    });
    expect(result.ok).toBe(false);
    expect(result.attempts.map((a) => a.error?.kind)).toEqual(['syntax', 'runtime']);
    expect(server.received).toHaveLength(2);
    expect(server.received[1]?.body.messages[3]?.content).toMatch(/The script failed \(syntax/);
  });

  test('a failed check is sent back without running; the cache skips the model next time', async () => {
    server.replies = [{ content: FIXED.replace('statistics.mean', 'eval("2")') }, { content: FIXED }];
    const cache = new Map<string, string>();
    const check = (_language: string, source: string) =>
      Promise.resolve(
        source.includes('eval(')
          ? { ok: false, message: 'rule no-eval: eval at line 3' }
          : { ok: true, message: '' },
      );
    const opts = { prompt: 'mean of 3 1 2', language: 'python', provider: provider(), check, cache };
    const result = await generateFromPrompt(opts);
    expect(result.attempts.map((a) => [a.ok, a.error?.kind ?? null, a.run])).toEqual([
      [false, 'rejected', null],
      [true, null, null],
    ]);
    expect(server.received[1]?.body.messages[3]?.content).toContain('rule no-eval: eval at line 3');
    expect([...cache.values()]).toEqual([result.source]);

    const again = await generateFromPrompt({ ...opts, run: true, engine });
    expect(server.received).toHaveLength(2); // no third request
    expect(again.attempts).toHaveLength(1);
    expect(again.attempts[0]).toMatchObject({ fromCache: true, ok: true, code: result.source });
    expect(again.attempts[0]?.run?.stdout).toBe('{"mean": 2}\n');
  });
});

describe('environment rules in the system prompt', () => {
  const REPLY = '```python\nprint("{}")\n```';
  const DEFAULT_RULES = [
    '- There is no network: do not download, install or call anything over the network.',
    '- Standard input is empty; do not ask for input.',
    '- Print the result on standard output as ONE JSON object and nothing else; diagnostics go to standard error.',
  ];

  test('by default the model is told: no network, empty stdin, one JSON object', async () => {
    server.replies = [{ content: REPLY }];
    const result = await generateFromPrompt({ prompt: 'p', language: 'python', provider: provider() });
    expect(result.ok).toBe(true);
    const system = server.received[0]?.body.messages[0]?.content ?? '';
    expect(system).toBe(systemPrompt({ language: 'python', inputs: [], limits: {} }));
    for (const rule of DEFAULT_RULES) expect(system.split('\n')).toContain(rule);
  });

  test('environmentRules replace exactly those rules; the others stay', async () => {
    server.replies = [{ content: REPLY }, { content: REPLY }];
    const rules = ['The source is JSON on standard input.', 'Only example.com is reachable.'];
    const opts = { prompt: 'p', language: 'python', provider: provider(), limits: { timeoutMs: 4_000 } };
    const replaced = await generateFromPrompt({ ...opts, environmentRules: rules });
    const system = server.received[0]?.body.messages[0]?.content ?? '';
    const lines = system.split('\n');
    for (const rule of DEFAULT_RULES) expect(lines).not.toContain(rule);
    expect(system).not.toMatch(/no network|input is empty|ONE JSON object/);
    expect(lines).toEqual(expect.arrayContaining(rules.map((rule) => `- ${rule}`)));
    expect(system).toContain('pandas'); // the libraries
    expect(system).toContain('under out/');
    expect(system).toContain('4000 ms of wall time');
    // Another system prompt, another cache entry.
    const plain = await generateFromPrompt(opts);
    expect(replaced.cacheKey).not.toBe(plain.cacheKey);
    await expect(generateFromPrompt({ ...opts, environmentRules: [] })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
  });
});

describe('provider errors say what happened and never carry the key', () => {
  const noKey = (err: unknown): void => {
    const all = JSON.stringify([String(err), (err as LlmProviderError).data, String((err as Error).cause)]);
    expect(all).not.toContain(KEY);
  };

  test('HTTP 401 with an OpenAI error body that echoes the key', async () => {
    server.replies = [
      {
        status: 401,
        body: JSON.stringify({
          error: { message: `Incorrect API key provided: ${KEY}.`, type: 'invalid_request_error' },
        }),
      },
    ];
    const err = await provider()
      .complete({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmProviderError);
    expect((err as Error).message).toMatch(/HTTP 401 Unauthorized: Incorrect API key provided: \[redacted\]/);
    expect((err as Error).message).toContain('SCRIPTBOX_LLM_API_KEY');
    expect((err as LlmProviderError).data['status']).toBe(401);
    noKey(err);
    expect(JSON.stringify(provider()) + inspect(provider(), { showHidden: true, depth: 9 })).not.toContain(
      KEY,
    );
  });

  test('HTTP 500 with a text body, and a reply that is not JSON', async () => {
    server.replies = [
      { status: 500, body: `upstream crashed (key ${KEY})` },
      { status: 200, body: `not json ${KEY}` },
    ];
    const first = await provider()
      .complete({ messages: [] })
      .catch((e: unknown) => e);
    expect((first as Error).message).toMatch(
      /HTTP 500 Internal Server Error: upstream crashed \(key \[redacted\]\)/,
    );
    noKey(first);
    const second = await provider()
      .complete({ messages: [] })
      .catch((e: unknown) => e);
    expect((second as Error).message).toMatch(/not a chat completion/);
    noKey(second);
  });

  test('a timeout and an abort', async () => {
    server.replies = ['hang', 'hang'];
    const timedOut = await provider(300)
      .complete({ messages: [] })
      .catch((e: unknown) => e);
    expect((timedOut as Error).message).toMatch(/got no reply within 300 ms/);
    const controller = new AbortController();
    const pending = provider().complete({ messages: [], signal: controller.signal });
    await server.untilReceived(2); // the request is in flight, left hanging: now abort it
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('an unreachable endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = createLlmProvider({ baseUrl: `http://127.0.0.1:${port}/v1`, model: MODEL, apiKey: KEY });
    const err = await dead.complete({ messages: [] }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      new RegExp(`^LLM request to http://127\\.0\\.0\\.1:${port}/v1/chat/completions failed: .*ECONNREFUSED`),
    );
    noKey(err);
  });
});

test('without a provider: names the variables to set and suggests matching templates', async () => {
  const templates = createTemplateRegistry({ templateDirs: [] });
  const attempt = generateFromPrompt({
    prompt: 'correlation between the columns',
    language: 'python',
    provider: null,
    templates,
  });
  await expect(attempt).rejects.toBeInstanceOf(InvalidOptionsError);
  await expect(attempt).rejects.toThrow(
    /SCRIPTBOX_LLM_BASE_URL.*SCRIPTBOX_LLM_MODEL.*SCRIPTBOX_LLM_API_KEY/s,
  );
  await expect(attempt).rejects.toThrow(/scriptbox generate stats\/correlation/);
  await expect(attempt).rejects.toMatchObject({
    code: 'INVALID_OPTIONS',
    data: { suggestions: ['stats/correlation'] },
  });
});
