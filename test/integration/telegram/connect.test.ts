/**
 * The bot's start-up against the fake Bot API server: a refused token, a server that cannot be reached
 * and a second process polling with the same token each stop the bot with an error that says what to
 * fix, and none of them carries the token.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createChatEngine } from '../../../src/workflows/chat/engine.js';
import type { ChatEngine } from '../../../src/workflows/chat/types.js';
import { createTelegramBot } from '../../../src/faces/telegram/bot.js';
import { ScriptboxError, UsageError } from '../../../src/errors.js';
import { createTemplateRegistry } from '../../../src/generate/registry.js';
import { createEngine, type Engine } from '../../../src/index.js';
import { FakeBotApi } from './fake-bot-api.js';

let fake: FakeBotApi;
let engine: Engine;
let chat: ChatEngine;

beforeAll(async () => {
  fake = await FakeBotApi.start();
  engine = await createEngine({ pool: { size: 0 } });
  chat = createChatEngine({ engine, registry: createTemplateRegistry() });
});

afterAll(async () => {
  await chat?.close();
  await engine?.close();
  await fake?.close();
});

const quiet = { logLine: () => undefined };

describe('connecting', () => {
  test('connect() returns the bot user', async () => {
    const bot = createTelegramBot({ token: fake.token, apiRoot: fake.apiRoot, chat, ...quiet });
    expect(await bot.connect()).toMatchObject({ id: fake.bot.id, username: 'scriptbox_test_bot' });
  });

  test('a refused token stops at once with what to do', async () => {
    const bot = createTelegramBot({ token: '42:revoked-token', apiRoot: fake.apiRoot, chat, ...quiet });
    const err = await bot.connect().catch((error: unknown) => error);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'the Bot API server refused the bot token (401 Unauthorized): use the token @BotFather gave',
    );
  });

  test('a server that cannot be reached is named, without the token', async () => {
    const token = '42:secret-token-value';
    const bot = createTelegramBot({ token, apiRoot: 'http://127.0.0.1:1', chat, ...quiet });
    const err = await bot.connect().catch((error: unknown) => error);
    expect(err).toBeInstanceOf(ScriptboxError);
    expect((err as Error).message).toMatch(/^cannot reach the Bot API server at http:\/\/127\.0\.0\.1:1: /);
    expect((err as Error).message).not.toContain('secret-token-value');
  });

  test('a second process polling with the same token stops the first with 409', async () => {
    const first = createTelegramBot({ token: fake.token, apiRoot: fake.apiRoot, chat, ...quiet });
    const firstPolling = first.start().catch((error: unknown) => error);
    await vi.waitFor(() => expect(fake.polling).toBe(true), { timeout: 30_000 });
    const second = createTelegramBot({ token: fake.token, apiRoot: fake.apiRoot, chat, ...quiet });
    const secondPolling = second.start();
    const err = await firstPolling;
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^another process is getting this bot's updates \(409 Conflict\)/);
    await second.stop();
    await secondPolling;
  });
});
