/**
 * A chat message cancelled through its signal (what the terminal chat's Ctrl-C and the Telegram bot's
 * shutdown give): a script under way is stopped and answered as cancelled, a session that was starting is
 * destroyed, and the conversation goes on with the next message as if nothing happened.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine, type EngineEvents } from '../../src/index.js';
import { CANCELLED, createChatEngine } from '../../src/workflows/chat/engine.js';
import type { ChatEngine, ChatReply } from '../../src/workflows/chat/types.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { waitUntil } from '../support/wait.js';
import { allText, blocks, HOUSING_CSV, say, send, USAGE_LINE } from './chat-harness.js';
import { processesWithMarker } from './sandbox-processes.js';

let engine: Engine;
let library: Library;
let chat: ChatEngine;
/** Session sandboxes created, and every sandbox destroyed. */
const sessionSandboxes: string[] = [];
const destroyed = new Set<string>();

beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  engine.events.on('sandbox:create', (event: EngineEvents['sandbox:create']) => {
    if (event.purpose === 'session') sessionSandboxes.push(event.sandboxId);
  });
  engine.events.on('sandbox:destroy', (event) => destroyed.add(event.sandboxId));
  library = openLibrary({ home: mkdtempSync(join(process.env['SCRIPTBOX_HOME'] ?? '/tmp', 'chat-cancel-')) });
  chat = createChatEngine({ engine, registry: createTemplateRegistry(), library });
});
afterAll(async () => {
  await chat?.close();
  await engine?.close();
  library?.close();
});

const textOf = (replies: ChatReply[]): string[] =>
  blocks(replies).map((block) => (block.kind === 'text' ? block.text : ''));

describe('a chat message cancelled', () => {
  test('while its script runs: the run is stopped, and the session and conversation go on', async () => {
    const me = 'cancel-run';
    await send(chat, me, 'housing.csv', HOUSING_CSV);
    const marker = `CHAT-CANCEL-${process.pid}-${Date.now()}`;
    const saved = library.save({
      category: 'demo',
      task: 'sleeps',
      language: 'python',
      source: `import subprocess\nsubprocess.run(["/usr/bin/python3", "-c", "import time; time.sleep(60)", "${marker}"])\nprint("woke up")\n`,
    });
    const asked = await say(chat, me, `run code ${saved.name}`);
    expect(allText(asked.replies)).toMatch(/Reply yes to run/);

    const controller = new AbortController();
    const answering = chat.handle(me, { kind: 'text', text: 'yes' }, { signal: controller.signal });
    // Under way for sure: its child is a live host process.
    await Promise.race([
      waitUntil(() => processesWithMarker(marker).length > 0, { what: 'the script', timeoutMs: 20_000 }),
      answering.then((early) => {
        throw new Error(`answered before the script was seen: ${allText(early)}`);
      }),
    ]);
    const sessionsBefore = sessionSandboxes.length;
    controller.abort();
    const replies = await answering;
    expect(textOf(replies)[0]).toBe('Cancelled: the script was stopped before it finished.');
    expect(textOf(replies).at(-1)).toMatch(USAGE_LINE);
    expect(allText(replies)).not.toContain('woke up');
    expect(processesWithMarker(marker)).toEqual([]);
    expect(library.history(saved.name).map((run) => run.kind)).toEqual(['cancelled']);

    // The same session answers the next message.
    const next = await say(chat, me, '/script descriptive');
    expect(textOf(next.replies).at(-1)).toMatch(USAGE_LINE);
    expect(allText(next.replies)).not.toMatch(/cancelled|failed/);
    expect(sessionSandboxes).toHaveLength(sessionsBefore);
  });

  test('while its session starts: the sandbox is destroyed, and the next message starts another', async () => {
    const me = 'cancel-start';
    await send(chat, me, 'housing.csv', HOUSING_CSV);
    const controller = new AbortController();
    const before = sessionSandboxes.length;
    const onCreate = (event: EngineEvents['sandbox:create']): void => {
      if (event.purpose === 'session') controller.abort();
    };
    engine.events.on('sandbox:create', onCreate);
    const replies = await chat
      .handle(me, { kind: 'text', text: '/script descriptive' }, { signal: controller.signal })
      .finally(() => engine.events.off('sandbox:create', onCreate));
    expect(textOf(replies)).toEqual([CANCELLED]);
    expect(sessionSandboxes).toHaveLength(before + 1);
    const cancelledSandbox = sessionSandboxes.at(-1) ?? '';
    expect(destroyed.has(cancelledSandbox)).toBe(true);

    const next = await say(chat, me, '/script descriptive');
    expect(textOf(next.replies).at(-1)).toMatch(USAGE_LINE);
    expect(sessionSandboxes).toHaveLength(before + 2);
  });

  test('before its turn came: nothing of it is done, and a waiting confirmation still waits', async () => {
    const me = 'cancel-early';
    const saved = library.save({ category: 'demo', task: 'early', language: 'python', source: 'print(1)\n' });
    await say(chat, me, `run code ${saved.name}`);
    const replies = await chat.handle(me, { kind: 'text', text: 'yes' }, { signal: AbortSignal.abort() });
    expect(textOf(replies)).toEqual([CANCELLED]);
    expect(library.history(saved.name)).toEqual([]);
    const performed = await say(chat, me, 'yes');
    expect(textOf(performed.replies)[0]).toBe('1');
    expect(library.history(saved.name).map((run) => run.ok)).toEqual([true]);
  });
});
