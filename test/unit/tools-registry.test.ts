/** The tool registry: validation naming fields, timeouts and cancellation, the result cache, listing. */
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { InvalidOptionsError, ScriptboxError } from '../../src/errors.js';
import { defineTool, ToolRegistry, ToolTimeoutError, type ToolContext } from '../../src/tools/index.js';

const echo = (calls: { n: number }) =>
  defineTool({
    name: 'echo',
    description: 'Echoes its input',
    input: z
      .object({
        text: z.string().describe('What to echo'),
        times: z.number().int().min(1).default(1),
        nested: z.object({ n: z.number().int().min(1) }).optional(),
      })
      .strict(),
    output: z.object({ text: z.string() }),
    annotations: { readOnly: true, idempotent: true },
    cacheable: true,
    handler: ({ text, times }) => {
      calls.n += 1;
      return Promise.resolve({ text: text.repeat(times) });
    },
  });

/** A tool that waits until its signal aborts, and tells the test when that happened. */
function waiter(): { tool: ReturnType<typeof defineTool>; aborted: Promise<unknown> } {
  let seen = (_reason: unknown): void => undefined;
  const aborted = new Promise<unknown>((resolve) => (seen = resolve));
  const tool = defineTool({
    name: 'wait',
    description: 'Waits for its signal',
    input: z.object({}).strict(),
    output: z.object({ done: z.boolean() }),
    annotations: {},
    timeoutMs: 50,
    handler: (_input, { signal }: ToolContext) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          seen(signal.reason);
          reject(new Error('handler saw the abort'));
        });
      }),
  });
  return { tool, aborted };
}

describe('ToolRegistry', () => {
  test('invalid input throws InvalidOptionsError naming every bad field path', async () => {
    const registry = new ToolRegistry().register(echo({ n: 0 }));
    const err: unknown = await registry
      .call('echo', { text: 5, nested: { n: 0 }, extra: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    const issues = (err as InvalidOptionsError).data['issues'] as string[];
    expect(issues.some((issue) => issue.startsWith('text: '))).toBe(true);
    expect(issues.some((issue) => issue.startsWith('nested.n: '))).toBe(true);
    expect(issues.some((issue) => issue.includes('extra'))).toBe(true);
    expect((err as Error).message).toMatch(/input of tool echo/);
  });

  test('an unknown tool names the known ones', async () => {
    const registry = new ToolRegistry().register(echo({ n: 0 }));
    await expect(registry.call('nope', {})).rejects.toThrow(/no tool "nope" \(known: echo\)/);
  });

  test('the timeout aborts the handler and rejects with ToolTimeoutError', async () => {
    const { tool, aborted } = waiter();
    const registry = new ToolRegistry().register(tool);
    const err: unknown = await registry.call('wait', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolTimeoutError);
    expect((err as ToolTimeoutError).code).toBe('TOOL_TIMEOUT');
    expect((err as ToolTimeoutError).data).toMatchObject({ tool: 'wait', timeoutMs: 50 });
    expect(await aborted).toBeInstanceOf(ToolTimeoutError);
  });

  test("the caller's signal aborts the handler too, and a per-call timeout overrides the tool's", async () => {
    const { tool, aborted } = waiter();
    const registry = new ToolRegistry().register(tool);
    const controller = new AbortController();
    const call = registry.call('wait', {}, { signal: controller.signal, timeoutMs: 60_000 });
    controller.abort(new Error('user pressed stop'));
    await expect(call).rejects.toThrow('user pressed stop');
    expect(await aborted).toMatchObject({ message: 'user pressed stop' });
    const already = AbortSignal.abort(new Error('gone before'));
    await expect(registry.call('wait', {}, { signal: already })).rejects.toThrow('gone before');
  });

  test('cacheable tools answer the same validated input from the cache', async () => {
    const calls = { n: 0 };
    const registry = new ToolRegistry().register(echo(calls));
    const first = await registry.invoke('echo', { text: 'ab', times: 2 });
    // Same input after validation: defaults filled in, keys in another order.
    const again = await registry.invoke('echo', { times: 2, text: 'ab' });
    expect([first.cached, again.cached, again.output, calls.n]).toEqual([false, true, { text: 'abab' }, 1]);
    again.output['text'] = 'mutated';
    expect(await registry.call('echo', { text: 'ab', times: 2 })).toEqual({ text: 'abab' });
    await registry.call('echo', { text: 'ab', times: 1 });
    expect(await registry.call('echo', { text: 'ab' })).toEqual({ text: 'ab' });
    expect(calls.n).toBe(2);
  });

  test('the cache is a bounded LRU', async () => {
    const calls = { n: 0 };
    const registry = new ToolRegistry({ cacheEntries: 2 }).register(echo(calls));
    for (const text of ['a', 'b', 'a', 'c']) await registry.call('echo', { text });
    expect(calls.n).toBe(3); // the second a was a hit
    await registry.call('echo', { text: 'a' }); // a was used after b: still cached
    expect(calls.n).toBe(3);
    await registry.call('echo', { text: 'b' }); // b was the least recently used: evicted by c
    expect(calls.n).toBe(4);
  });

  test('output off its schema is a host error naming the path', async () => {
    const bad = defineTool({
      name: 'bad',
      description: 'Returns the wrong shape',
      input: z.object({}),
      output: z.object({ count: z.number() }),
      annotations: {},
      handler: () => Promise.resolve({ count: 'three' as unknown as number }),
    });
    const err: unknown = await new ToolRegistry()
      .register(bad)
      .call('bad', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScriptboxError);
    expect((err as ScriptboxError).code).toBe('INTERNAL');
    expect((err as Error).message).toMatch(/count: /);
  });

  test('register refuses bad names, duplicates and schemas JSON Schema cannot state', () => {
    const registry = new ToolRegistry().register(echo({ n: 0 }));
    expect(() => registry.register(echo({ n: 0 }))).toThrow(/already registered/);
    const named = (name: string, input: z.ZodObject) =>
      defineTool({
        name,
        description: 'x',
        input,
        output: z.object({}),
        annotations: {},
        handler: () => Promise.resolve({}),
      });
    expect(() => registry.register(named('has space', z.object({})))).toThrow(InvalidOptionsError);
    const custom = z.object({ fn: z.custom<() => void>((v) => typeof v === 'function') });
    expect(() => registry.register(named('custom', custom))).toThrow(/JSON Schema cannot state/);
    expect(registry.has('custom')).toBe(false);
  });

  test('list() gives JSON Schema of input and output; onChange follows register and unregister', () => {
    const registry = new ToolRegistry();
    let changes = 0;
    const off = registry.onChange(() => (changes += 1));
    registry.register(echo({ n: 0 }));
    const [info] = registry.list();
    expect(info?.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string', description: 'What to echo' }, times: { default: 1 } },
      required: ['text'],
      additionalProperties: false,
    });
    expect(info?.outputSchema).toMatchObject({ properties: { text: { type: 'string' } } });
    expect(info).toMatchObject({ cacheable: true, metered: false, annotations: { readOnly: true } });
    expect([registry.unregister('echo'), registry.unregister('echo'), changes]).toEqual([true, false, 2]);
    off();
    registry.register(echo({ n: 0 }));
    expect(changes).toBe(2);
  });

  test('the principal reaches the handler', async () => {
    const whoami = defineTool({
      name: 'whoami',
      description: 'Who calls',
      input: z.object({}),
      output: z.object({ name: z.string() }),
      annotations: { readOnly: true },
      handler: (_input, { principal }) => Promise.resolve({ name: principal?.name ?? '(nobody)' }),
    });
    const registry = new ToolRegistry().register(whoami);
    expect(await registry.call('whoami', {}, { principal: { tokenId: 't1', name: 'alice' } })).toEqual({
      name: 'alice',
    });
    expect(await registry.call('whoami', undefined)).toEqual({ name: '(nobody)' });
  });
});
