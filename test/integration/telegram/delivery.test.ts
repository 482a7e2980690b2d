/**
 * The bot's Telegram calls against the fake Bot API server through grammY: the progress status message
 * and chat actions, sending rendered replies (a photo Telegram refuses goes as a document), and the
 * download that checks the size.
 */
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressIndicator } from '../../../src/faces/telegram/progress.js';
import { renderReplies } from '../../../src/faces/telegram/render.js';
import { sendOutgoing } from '../../../src/faces/telegram/send.js';
import { DownloadError, downloadFile } from '../../../src/faces/telegram/uploads.js';
import type { LogEntry } from '../../../src/faces/telegram/log.js';
import { FakeBotApi } from './fake-bot-api.js';

const bob = { id: 2002, first_name: 'Bob' };
const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

let fake: FakeBotApi;
let api: Api;
const logged: LogEntry[] = [];

beforeAll(async () => {
  fake = await FakeBotApi.start();
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
  fake.sendUserMessage(bob, 'hello'); // opens the chat
});

afterAll(async () => {
  await fake.close();
});

describe('progress', () => {
  it('shows a chat action, then a status message edited per stage and finally to done', async () => {
    const after = fake.mark();
    const progress = new ProgressIndicator(api, bob.id, (entry) => logged.push(entry));
    const shown = (text: string): Promise<unknown> =>
      fake.waitForBotMessages((r) => r.text === text, { after });
    progress.start();
    progress.update({ stage: 'generating', text: 'writing the histogram script' });
    await shown('⏳ Writing the histogram script…');
    progress.update({ stage: 'running', text: 'running histogram on flats.csv' });
    await shown('⏳ Running histogram on flats.csv…');
    // The same stage again changes nothing (Telegram refuses an edit to the same text).
    progress.update({ stage: 'running', text: 'running histogram on flats.csv' });
    progress.update({ stage: 'charting', text: 'sending 1 chart' });
    await shown('⏳ Sending 1 chart…');
    await progress.finish(true);

    const sent = fake.sent.slice(after);
    expect(sent.filter((r) => r.method === 'sendChatAction').map((r) => r.action)).toEqual([
      'typing',
      'upload_photo',
    ]);
    const status = sent.filter((r) => r.method !== 'sendChatAction');
    expect(status.map((r) => [r.method, r.text])).toEqual([
      ['sendMessage', '⏳ Writing the histogram script…'],
      ['editMessageText', '⏳ Running histogram on flats.csv…'],
      ['editMessageText', '⏳ Sending 1 chart…'],
      ['editMessageText', '✅ Running histogram on flats.csv: done'],
    ]);
    expect(new Set(status.map((r) => r.message_id)).size).toBe(1);
    expect(fake.refusedCalls()).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('marks the status failed, and sends no status at all when no stage was reported', async () => {
    const after = fake.mark();
    const failing = new ProgressIndicator(api, bob.id, (entry) => logged.push(entry));
    failing.start();
    failing.update({ stage: 'reading', text: 'reading big.csv' });
    await failing.finish(false);
    const texts = fake.sent
      .slice(after)
      .filter((r) => r.method !== 'sendChatAction')
      .map((r) => r.text);
    expect(texts.at(-1)).toBe('❌ Reading big.csv: failed');

    const quiet = fake.mark();
    const instant = new ProgressIndicator(api, bob.id, (entry) => logged.push(entry));
    instant.start();
    await instant.finish(true);
    expect(fake.sent.slice(quiet).map((r) => r.method)).toEqual(['sendChatAction']);
  });
});

describe('sendOutgoing', () => {
  it('sends every rendered message, photo and document in order, and a refused photo as a document', async () => {
    const after = fake.mark();
    const rows = Array.from({ length: 400 }, (_, i) => [`r${i}`, `${i} & <${i}>`]);
    await sendOutgoing(
      api,
      bob.id,
      renderReplies([
        { kind: 'table', title: 'Rows <all>', columns: ['id', 'value'], rows },
        { kind: 'image', name: 'chart.png', bytes: PNG_1x1, caption: 'price & area' },
        { kind: 'image', name: 'not-an-image.png', bytes: Buffer.from('oops') },
        { kind: 'document', name: 'descriptive.py', bytes: Buffer.from('print(1)\n') },
      ]),
    );
    expect(fake.refusedCalls().map((c) => c.description)).toEqual(['Bad Request: IMAGE_PROCESS_FAILED']);
    const sent = fake.sent.slice(after);
    const tableMessages = sent.filter((r) => r.method === 'sendMessage');
    expect(tableMessages.length).toBeGreaterThan(1);
    expect(tableMessages.every((r) => r.parse_mode === 'HTML')).toBe(true);
    expect(sent.slice(tableMessages.length).map((r) => [r.method, r.file?.name, r.caption])).toEqual([
      ['sendPhoto', 'chart.png', 'price & area'],
      ['sendDocument', 'not-an-image.png', undefined],
      ['sendDocument', 'descriptive.py', undefined],
    ]);
    expect(sent.at(-1)?.file?.bytes.toString()).toBe('print(1)\n');
  });
});

describe('downloadFile', () => {
  it('downloads a user’s file, and stops at the limit', async () => {
    const bytes = Buffer.from('a,b\n1,2\n'.repeat(1000));
    const message = fake.sendUserDocument(bob, 'data.csv', bytes);
    const fileId = (message.document as { file_id: string }).file_id;
    const opts = { apiRoot: fake.apiRoot, token: fake.token };
    const got = await downloadFile(api, fileId, { ...opts, maxBytes: bytes.length });
    expect(Buffer.from(got).equals(bytes)).toBe(true);

    const tooLarge = await downloadFile(api, fileId, { ...opts, maxBytes: 1000 }).catch(
      (err: unknown) => err,
    );
    expect(tooLarge).toBeInstanceOf(DownloadError);
    expect((tooLarge as DownloadError).tooLarge).toBe(true);

    const refused = await downloadFile(api, 'no-such-file', { ...opts, maxBytes: 1000 }).catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(DownloadError);
    expect((refused as DownloadError).tooLarge).toBe(false);
    expect((refused as Error).message).toBe('getFile failed: Bad Request: invalid file_id');
  });
});
