/**
 * The chat engine's sandbox sessions, for real: a conversation's session closes after its idle time and
 * the next request gets a new one with the dataset uploaded again (same answer, no upload by the user);
 * two conversations have their own data and sessions, also when they talk at once; close() ends every
 * session and refuses further messages.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createChatEngine } from '../../src/workflows/chat/engine.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import {
  allText,
  blocks,
  expectAnalysisReplies,
  expectedAnalysis,
  FLOWERS_CSV,
  HOUSING_CSV,
  images,
  say,
  send,
} from './chat-harness.js';

const registry = createTemplateRegistry();
let engine: Engine;
/** Session sandboxes, in the order they were created, and every destroyed sandbox. */
const sessionSandboxes: string[] = [];
const destroyed = new Set<string>();
/** The session of each run, in order. */
const runSessions: (string | null)[] = [];

beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  engine.events.on('sandbox:create', (event) => {
    if (event.purpose === 'session') sessionSandboxes.push(event.sandboxId);
  });
  engine.events.on('sandbox:destroy', (event) => destroyed.add(event.sandboxId));
  engine.events.on('run:finish', (event) => runSessions.push(event.sessionId));
});
afterAll(async () => {
  await engine?.close();
});

function destroyedEvent(sandboxId: string): Promise<void> {
  if (destroyed.has(sandboxId)) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (event: { sandboxId: string }): void => {
      if (event.sandboxId !== sandboxId) return;
      engine.events.off('sandbox:destroy', listener);
      resolve();
    };
    engine.events.on('sandbox:destroy', listener);
  });
}

describe('idle sessions', () => {
  test('after the idle time the session is gone; the next request gets a new one holding the dataset', async () => {
    const chat = createChatEngine({ engine, registry, sessionIdleMs: 1000 });
    try {
      const before = sessionSandboxes.length;
      await send(chat, 'idle', 'housing.csv', HOUSING_CSV);
      expect(sessionSandboxes).toHaveLength(before); // the session starts with the first run
      const expected = await expectedAnalysis(registry, 'histogram', ['price'], 'housing.csv', HOUSING_CSV);
      const first = await say(chat, 'idle', 'histogram of price');
      expectAnalysisReplies(first.replies, expected, 1);
      expect(sessionSandboxes).toHaveLength(before + 1);
      const firstSession = runSessions.at(-1);

      await destroyedEvent(sessionSandboxes[before] ?? '');

      const second = await say(chat, 'idle', 'histogram of price');
      expectAnalysisReplies(second.replies, expected, 1);
      expect(images(second.replies)[0]?.bytes).toEqual(images(first.replies)[0]?.bytes);
      expect(sessionSandboxes).toHaveLength(before + 2);
      expect(runSessions.at(-1)).not.toBe(firstSession);
    } finally {
      await chat.close();
    }
  });
});

describe('two conversations', () => {
  test('each has its own dataset and session, also when both talk at once', async () => {
    const chat = createChatEngine({ engine, registry });
    try {
      const before = sessionSandboxes.length;
      await Promise.all([
        send(chat, 'alice', 'housing.csv', HOUSING_CSV),
        send(chat, 'bob', 'iris.csv', FLOWERS_CSV),
      ]);
      const [alice, bob] = await Promise.all([
        say(chat, 'alice', '/script histogram price'),
        say(chat, 'bob', '/script histogram petal_length'),
      ]);
      expectAnalysisReplies(
        alice.replies,
        await expectedAnalysis(registry, 'histogram', ['price'], 'housing.csv', HOUSING_CSV),
        1,
      );
      expectAnalysisReplies(
        bob.replies,
        await expectedAnalysis(registry, 'histogram', ['petal_length'], 'iris.csv', FLOWERS_CSV),
        1,
      );
      expect(sessionSandboxes).toHaveLength(before + 2);

      const bobAsksForPrice = await say(chat, 'bob', '/script histogram price');
      expect(allText(bobAsksForPrice.replies)).toMatch(/^"price" is no column of iris\.csv\./);
      const alicePreview = await say(chat, 'alice', '/preview');
      expect(blocks(alicePreview.replies)[0]).toEqual({
        kind: 'text',
        text: 'housing.csv: 120 rows × 6 columns',
      });
      const carol = await say(chat, 'carol', 'histogram of price');
      expect(allText(carol.replies)).toMatch(/^Send a CSV first/);
    } finally {
      await chat.close();
    }
  });
});

describe('closing the chat engine', () => {
  test('close() ends every session, and a message afterwards is refused', async () => {
    const chat = createChatEngine({ engine, registry });
    const before = sessionSandboxes.length;
    await send(chat, 'one', 'housing.csv', HOUSING_CSV);
    await send(chat, 'two', 'iris.csv', FLOWERS_CSV);
    await say(chat, 'one', 'histogram of area');
    await say(chat, 'two', 'histogram of sepal_width');
    const opened = sessionSandboxes.slice(before);
    expect(opened).toHaveLength(2);
    expect(opened.filter((id) => destroyed.has(id))).toEqual([]);
    await chat.close();
    expect(opened.filter((id) => destroyed.has(id))).toEqual(opened);
    await expect(say(chat, 'one', '/help')).rejects.toThrow(/closed/);
  });
});
