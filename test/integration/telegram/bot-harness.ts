/**
 * Shared by the Telegram bot's end-to-end tests: the real bot (createTelegramBot) long-polling the fake
 * Bot API server, answering through the real chat engine on the real sandbox, with the script library in
 * a temporary directory; plus helpers that play a user and read back what the bot sent.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createChatEngine } from '../../../src/workflows/chat/engine.js';
import type { ChatEngine } from '../../../src/workflows/chat/types.js';
import { createTelegramBot, type TelegramBot } from '../../../src/faces/telegram/bot.js';
import { createTemplateRegistry } from '../../../src/generate/registry.js';
import { createEngine, type Engine } from '../../../src/index.js';
import { openLibrary, type Library } from '../../../src/library/index.js';
import { parseTelegramHtml } from './fake-html.js';
import { FakeBotApi, type FakeUser, type SentRecord } from './fake-bot-api.js';

export const USAGE_LINE = /ran in \d+ ms · CPU \d+ ms/;

export interface BotRig {
  fake: FakeBotApi;
  engine: Engine;
  library: Library;
  chat: ChatEngine;
  bot: TelegramBot;
  /** The JSON lines the bot logged. */
  logLines: string[];
  close(): Promise<void>;
}

export async function startRig(
  opts: { perUserPerMinute?: number; shutdownGraceMs?: number } = {},
): Promise<BotRig> {
  const fake = await FakeBotApi.start();
  const engine = await createEngine({ pool: { size: 0 } });
  const library = openLibrary({ home: mkdtempSync(join(process.env.SCRIPTBOX_HOME ?? '/tmp', 'telegram-')) });
  const chat = createChatEngine({ engine, registry: createTemplateRegistry(), library });
  const logLines: string[] = [];
  const bot = createTelegramBot({
    token: fake.token,
    apiRoot: fake.apiRoot,
    chat,
    perUserPerMinute: opts.perUserPerMinute ?? 1000,
    ...(opts.shutdownGraceMs !== undefined ? { shutdownGraceMs: opts.shutdownGraceMs } : {}),
    logLine: (line) => logLines.push(line),
  });
  const polling = bot.start();
  return {
    fake,
    engine,
    library,
    chat,
    bot,
    logLines,
    async close() {
      await bot.stop();
      await polling;
      await chat.close();
      await engine.close();
      library.close();
      await fake.close();
    },
  };
}

/** Sends `text` as `user` and waits until the bot sent a record `done` accepts; returns what it sent. */
export function say(
  rig: BotRig,
  user: FakeUser,
  text: string,
  done: (record: SentRecord) => boolean,
): Promise<SentRecord[]> {
  const after = rig.fake.mark();
  rig.fake.sendUserMessage(user, text);
  return rig.fake.waitForBotMessages((record) => record.chat_id === user.id && done(record), { after });
}

/** Sends a document as `user`, like `say`. */
export function upload(
  rig: BotRig,
  user: FakeUser,
  name: string,
  bytes: Uint8Array,
  done: (record: SentRecord) => boolean,
): Promise<SentRecord[]> {
  const after = rig.fake.mark();
  rig.fake.sendUserDocument(user, name, bytes);
  return rig.fake.waitForBotMessages((record) => record.chat_id === user.id && done(record), { after });
}

/** A message whose text (after entities parsing) matches. */
export function message(pattern: RegExp): (record: SentRecord) => boolean {
  return (record) => record.method === 'sendMessage' && pattern.test(plain(record));
}

/** The text of a message as the user reads it. */
export function plain(record: SentRecord): string {
  return record.parse_mode === 'HTML' ? parseTelegramHtml(record.text ?? '') : (record.text ?? '');
}

/** The messages among `records`, as the user reads them. */
export function messages(records: SentRecord[]): string[] {
  return records.filter((record) => record.method === 'sendMessage').map(plain);
}

/**
 * The texts the progress status message showed, in order (its first text is sent, the others are edits;
 * stages that changed faster than Telegram answered may have been skipped).
 */
export function statusTexts(records: SentRecord[]): string[] {
  return records
    .filter(
      (r) =>
        r.method === 'editMessageText' || (r.method === 'sendMessage' && /^[⏳✅❌] /u.test(r.text ?? '')),
    )
    .map((r) => r.text ?? '');
}

/**
 * The table titled `title` among the messages sent, read back from its <pre> block: cells are separated
 * by two or more spaces (the layout's gap), so a cell holding one space stays whole.
 */
export function tableIn(records: SentRecord[], title: string): { columns: string[]; rows: string[][] } {
  const html = records
    .filter((record) => record.method === 'sendMessage')
    .map((record) => record.text ?? '')
    .find((text) => text.includes(`<b>${title}</b>\n<pre>`));
  expect(html, `a table titled ${title}`).toBeDefined();
  const start = (html ?? '').indexOf(`<b>${title}</b>\n<pre>`) + `<b>${title}</b>\n<pre>`.length;
  const pre = parseTelegramHtml((html ?? '').slice(start, (html ?? '').indexOf('</pre>', start)));
  const [header, , ...body] = pre.split('\n');
  const cells = (line: string): string[] => line.trim().split(/\s{2,}/);
  return { columns: cells(header ?? ''), rows: body.map(cells) };
}
