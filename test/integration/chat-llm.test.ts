/**
 * LLM-written code in the chat, against a local server speaking the chat-completions wire format and the
 * real sandbox: the model is told about the data; what it writes is checked and sent back for repair
 * while the checks block it; nothing it wrote runs or is saved before an explicit yes; "generate code"
 * and "update code … to …" go to the model; a provider failure is answered, not thrown.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createChatEngine } from '../../src/workflows/chat/engine.js';
import type { ChatEngine } from '../../src/workflows/chat/types.js';
import { createLlmProvider } from '../../src/generate/llm/provider.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { readDataset } from '../../src/workflows/analysis/dataset.js';
import { allText, blocks, documents, HOUSING_CSV, say, send, USAGE_LINE } from './chat-harness.js';
import { FakeChatCompletions } from './fake-chat-completions.js';

const MODEL = 'test-coder-1';
const fenced = (code: string): string => `Here you go:\n\n\`\`\`python\n${code}\`\`\`\n`;

const COUNT_BY_DISTRICT =
  'import json\nimport pandas as pd\n\nframe = pd.read_csv("housing.csv")\n' +
  'print(json.dumps(frame["district"].value_counts().sort_index().to_dict()))\n';
const SPAWNS = 'import os\nos.system("wc -l housing.csv")\n';
const SHOUTS = 'print("HELLO")\n';

const registry = createTemplateRegistry();
let server: FakeChatCompletions;
let engine: Engine;
let library: Library;
let chat: ChatEngine;
let runs = 0;
const me = 'llm-user';

beforeAll(async () => {
  server = new FakeChatCompletions();
  const baseUrl = await server.start();
  engine = await createEngine({ pool: { size: 0 } });
  engine.events.on('run:start', () => (runs += 1));
  library = openLibrary({ home: mkdtempSync(join(process.env['SCRIPTBOX_HOME'] ?? '/tmp', 'chat-llm-')) });
  chat = createChatEngine({ engine, registry, library, llm: createLlmProvider({ baseUrl, model: MODEL }) });
  await send(chat, me, 'housing.csv', HOUSING_CSV);
});
afterAll(async () => {
  await chat?.close();
  await engine?.close();
  library?.close();
  await server?.close();
});
afterEach(() => server.reset());

const question = (replies: Awaited<ReturnType<typeof say>>['replies']): string => {
  const last = blocks(replies).at(-1);
  return last?.kind === 'text' ? last.text : '';
};

describe('free-form requests go to the LLM, and run only after a yes', () => {
  test('the script is shown and nothing runs or is saved until the yes', async () => {
    server.replies = [{ content: fenced(COUNT_BY_DISTRICT) }];
    const before = runs;
    const { replies, progress } = await say(chat, me, 'count the rows per district');
    expect(progress).toEqual([{ stage: 'generating', text: `asking ${MODEL} for a script` }]);
    expect(blocks(replies)[0]).toEqual({
      kind: 'text',
      text: `${MODEL} wrote this script; it has not run yet.`,
    });
    const [document] = documents(replies);
    expect(document?.name).toBe('count_rows_per_district.py');
    expect(Buffer.from(document?.bytes ?? []).toString('utf8')).toBe(COUNT_BY_DISTRICT);
    expect(question(replies)).toBe(
      'Reply yes to save this script to the library and run it; anything else cancels.',
    );
    expect(runs).toBe(before);
    expect(library.list()).toEqual([]);

    // The model was told the request, the file and its columns.
    const [messages] = server.messages();
    const prompt = messages?.find((message) => message.role === 'user')?.content ?? '';
    expect(prompt).toMatch(/^count the rows per district\n\nThe data is the CSV file housing\.csv/);
    expect(prompt).toMatch(/district \(text\)/);
    expect(messages?.find((message) => message.role === 'system')?.content).toMatch(/housing\.csv/);

    const done = await say(chat, me, 'yes');
    const name = 'chat_count_rows_per_district_001.py';
    const { table } = await readDataset('housing.csv', HOUSING_CSV);
    const districts = table.columns.find((column) => column.name === 'district')?.values ?? [];
    const counts: Record<string, number> = {};
    for (const value of [...districts].sort()) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
    expect(blocks(done.replies)).toEqual([
      { kind: 'text', text: `Saved to the library as ${name}.` },
      { kind: 'text', text: JSON.stringify(counts, null, 2) },
      expect.objectContaining({ kind: 'text', text: expect.stringMatching(USAGE_LINE) as unknown }),
    ]);
    expect(library.get(name).source).toBe(COUNT_BY_DISTRICT);
    expect(library.history(name).map((run) => run.ok)).toEqual([true]);
  });

  test('a decline: nothing runs, nothing is saved', async () => {
    server.replies = [{ content: fenced(SHOUTS) }];
    const before = runs;
    await say(chat, me, 'shout hello');
    const { replies } = await say(chat, me, 'hmm, no');
    expect(allText(replies)).toMatch(/^Cancelled: did not save this script to the library and run it\./);
    expect(runs).toBe(before);
    expect(library.list().map((script) => script.name)).toEqual(['chat_count_rows_per_district_001.py']);
  });

  test('code the checks block goes back to the model with the findings; the repair is what is shown', async () => {
    server.replies = [{ content: fenced(SPAWNS) }, { content: fenced(SHOUTS) }];
    const { replies } = await say(chat, me, 'count the lines of the file');
    expect(server.received).toHaveLength(2);
    const repair = server.messages()[1]?.at(-1)?.content ?? '';
    expect(repair).toMatch(/py\/process-spawn/);
    expect(Buffer.from(documents(replies)[0]?.bytes ?? []).toString('utf8')).toBe(SHOUTS);
    expect(documents(replies)[0]?.caption).toMatch(/2 attempts; the checks sent it back for repair/);
    await say(chat, me, 'no');
  });

  test('a model that never passes the checks: nothing to confirm, nothing run', async () => {
    server.replies = [{ content: fenced(SPAWNS) }, { content: fenced(SPAWNS) }, { content: fenced(SPAWNS) }];
    const before = runs;
    const { replies } = await say(chat, me, 'count the lines of the file');
    expect(allText(replies)).toMatch(
      /^The LLM did not produce a script that passes the checks in 3 attempts: .*py\/process-spawn.*\nNothing was run\./s,
    );
    expect(allText((await say(chat, me, 'yes')).replies)).toBe('Nothing is waiting for a yes right now.');
    expect(runs).toBe(before);
  });

  test('"generate code" goes to the model even when a template would match', async () => {
    server.replies = [{ content: fenced(SHOUTS) }];
    const { replies } = await say(chat, me, 'generate code for a histogram of price');
    expect(server.messages()[0]?.find((m) => m.role === 'user')?.content).toMatch(
      /^for a histogram of price\n/,
    );
    expect(question(replies)).toMatch(/^Reply yes to save this script/);
    await say(chat, me, 'no');
  });

  test('a provider failure is answered with its message, and nothing waits for a yes', async () => {
    server.replies = [{ status: 503, body: '{"error":{"message":"model is loading"}}' }];
    const { replies } = await say(chat, me, 'count the rows per district');
    expect(allText(replies)).toMatch(/failed: HTTP 503.*model is loading/);
    expect(allText((await say(chat, me, 'yes')).replies)).toBe('Nothing is waiting for a yes right now.');
  });
});

describe('"update code … to …" rewritten by the model', () => {
  test('the model gets the script and the instruction; the rewrite is saved as a new version after a yes', async () => {
    const name = 'chat_count_rows_per_district_001.py';
    const rewritten = COUNT_BY_DISTRICT.replace('.sort_index()', '.sort_values()');
    server.replies = [{ content: fenced(rewritten) }];
    const { replies } = await say(chat, me, `update code ${name} to sort by count`);
    const prompt = server.messages()[0]?.find((m) => m.role === 'user')?.content ?? '';
    expect(prompt).toMatch(/as follows: sort by count/);
    expect(prompt).toContain(COUNT_BY_DISTRICT);
    expect(Buffer.from(documents(replies)[0]?.bytes ?? []).toString('utf8')).toBe(rewritten);
    expect(question(replies)).toBe(`Reply yes to save it as version 2 of ${name}; anything else cancels.`);
    expect(library.get(name).currentVersion).toBe(1);
    await say(chat, me, 'yes');
    expect(library.get(name)).toMatchObject({ version: 2, source: rewritten });
    expect(library.versions(name).map((version) => version.note)).toEqual([null, 'sort by count']);
  });
});
