/**
 * The fake Bot API server itself, through grammY's real client (JSON and multipart requests as grammY
 * sends them) and plain HTTP: the wire format, long polling with offsets, files both ways, and the
 * refusals that make a rendering bug fail a test.
 */
import { Api, GrammyError, InputFile } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBotApi } from './fake-bot-api.js';

const alice = { id: 1001, first_name: 'Alice', username: 'alice' };
const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

let fake: FakeBotApi;
let api: Api;

beforeAll(async () => {
  fake = await FakeBotApi.start();
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
});

afterAll(async () => {
  await fake.close();
});

async function refusal(call: Promise<unknown>): Promise<{ code: number; description: string }> {
  const err = await call.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(err instanceof GrammyError)) throw new Error(`expected a GrammyError, got ${String(err)}`);
  return { code: err.error_code, description: err.description };
}

describe('the fake Bot API server', () => {
  it('answers getMe with the bot user, 404 for unknown methods and 401 for a wrong token', async () => {
    const me = await api.getMe();
    expect(me).toMatchObject({ id: fake.bot.id, is_bot: true, username: 'scriptbox_test_bot' });

    const unknown = await fetch(`${fake.apiRoot}/bot${fake.token}/sendTelepathy`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' });

    const wrong = await refusal(new Api('1:wrong', { apiRoot: fake.apiRoot }).getMe());
    expect(wrong).toEqual({ code: 401, description: 'Unauthorized' });
  });

  it('long-polls: getUpdates waits for a message, and an offset confirms what came before', async () => {
    const waiting = api.getUpdates({ timeout: 20 });
    const sent = fake.sendUserMessage(alice, '/script descriptive');
    const updates = await waiting;
    expect(updates).toHaveLength(1);
    const update = updates[0];
    expect(update?.message).toMatchObject({
      message_id: sent.message_id,
      from: { id: alice.id, is_bot: false, first_name: 'Alice' },
      chat: { id: alice.id, type: 'private' },
      text: '/script descriptive',
      entities: [{ type: 'bot_command', offset: 0, length: 7 }],
    });
    expect(typeof update?.message?.date).toBe('number');

    fake.sendUserMessage(alice, 'second');
    const again = await api.getUpdates({ offset: (update?.update_id ?? 0) + 1, timeout: 0 });
    expect(again.map((u) => u.message?.text)).toEqual(['second']);
    // Confirming the second leaves nothing.
    expect(await api.getUpdates({ offset: (again[0]?.update_id ?? 0) + 1, timeout: 0 })).toEqual([]);
  });

  it('takes HTML messages and counts their length after entities parsing', async () => {
    const message = await api.sendMessage(alice.id, '<b>a &amp; b</b> &lt;c&gt;', { parse_mode: 'HTML' });
    expect(message.text).toBe('a & b <c>');
    expect(fake.sent.at(-1)).toMatchObject({ method: 'sendMessage', chat_id: alice.id, parse_mode: 'HTML' });

    // 4096 characters after parsing, 20 480 before: accepted; one more: refused.
    await api.sendMessage(alice.id, '&amp;'.repeat(4096), { parse_mode: 'HTML' });
    expect(await refusal(api.sendMessage(alice.id, '&amp;'.repeat(4097), { parse_mode: 'HTML' }))).toEqual({
      code: 400,
      description: 'Bad Request: message is too long',
    });
  });

  it('refuses HTML Telegram cannot parse: unbalanced or unknown tags, unescaped characters', async () => {
    for (const html of ['<b>bold', '<b>x</i>', '<table>x</table>', 'R&D', 'a < b', 'x</b>']) {
      const { code, description } = await refusal(api.sendMessage(alice.id, html, { parse_mode: 'HTML' }));
      expect(code, html).toBe(400);
      expect(description, html).toMatch(/^Bad Request: can't parse entities: /);
    }
    // Without a parse mode the same text is plain.
    expect((await api.sendMessage(alice.id, 'a < b & c')).text).toBe('a < b & c');
    expect(await refusal(api.sendMessage(alice.id, '   '))).toEqual({
      code: 400,
      description: 'Bad Request: message text is empty',
    });
  });

  it('receives photos and documents as grammY uploads them, names with spaces included', async () => {
    const photo = await api.sendPhoto(alice.id, new InputFile(PNG_1x1, 'chart one.png'), { caption: 'Area' });
    expect(photo.photo?.[0]).toMatchObject({ width: 1, height: 1, file_size: PNG_1x1.length });
    expect(photo.caption).toBe('Area');
    const record = fake.sent.at(-1);
    expect(record).toMatchObject({ method: 'sendPhoto', chat_id: alice.id, caption: 'Area' });
    expect(record?.file?.name).toBe('chart one.png');
    expect(record?.file?.bytes.equals(PNG_1x1)).toBe(true);

    const csv = Buffer.from('a;b\n1;2\n');
    const doc = await api.sendDocument(alice.id, new InputFile(csv, 'descriptive.py'));
    expect(doc.document).toMatchObject({ file_name: 'descriptive.py', file_size: csv.length });
    expect(fake.sent.at(-1)?.file?.bytes.toString()).toBe('a;b\n1;2\n');

    expect(await refusal(api.sendPhoto(alice.id, new InputFile(csv, 'x.png')))).toEqual({
      code: 400,
      description: 'Bad Request: IMAGE_PROCESS_FAILED',
    });
    expect(
      await refusal(api.sendPhoto(alice.id, new InputFile(PNG_1x1, 'x.png'), { caption: 'c'.repeat(1025) })),
    ).toEqual({ code: 400, description: 'Bad Request: message caption is too long' });
  });

  it('serves user files through getFile and the download path, up to 20 MB', async () => {
    const bytes = Buffer.from('price,area\n100,20\n');
    const message = fake.sendUserDocument(alice, 'flats.csv', bytes, 'my data');
    const document = message.document as { file_id: string; file_size: number; file_name: string };
    expect(document).toMatchObject({ file_name: 'flats.csv', file_size: bytes.length });
    expect(message.caption).toBe('my data');

    const file = await api.getFile(document.file_id);
    expect(file).toMatchObject({ file_id: document.file_id, file_size: bytes.length });
    const download = await fetch(`${fake.apiRoot}/file/bot${fake.token}/${file.file_path}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    const wrongToken = await fetch(`${fake.apiRoot}/file/bot1:wrong/${file.file_path}`);
    expect(wrongToken.status).toBe(404);

    const big = fake.sendUserDocument(alice, 'big.csv', Buffer.alloc(20 * 1024 * 1024 + 1));
    expect(await refusal(api.getFile((big.document as { file_id: string }).file_id))).toEqual({
      code: 400,
      description: 'Bad Request: file is too big',
    });
  });

  it('edits only the bot’s own messages, and only to something different', async () => {
    const status = await api.sendMessage(alice.id, '⏳ Running');
    const edited = await api.editMessageText(alice.id, status.message_id, '✅ Done');
    expect(edited).toMatchObject({ message_id: status.message_id, text: '✅ Done' });
    expect(fake.sent.at(-1)).toMatchObject({
      method: 'editMessageText',
      message_id: status.message_id,
      text: '✅ Done',
    });
    expect((await refusal(api.editMessageText(alice.id, status.message_id, '✅ Done'))).description).toMatch(
      /^Bad Request: message is not modified/,
    );
    const users = fake.sendUserMessage(alice, 'hello');
    expect(await refusal(api.editMessageText(alice.id, users.message_id as number, 'x'))).toEqual({
      code: 400,
      description: "Bad Request: message can't be edited",
    });
    expect(await refusal(api.editMessageText(alice.id, 99_999, 'x'))).toEqual({
      code: 400,
      description: 'Bad Request: message to edit not found',
    });
  });

  it('checks chat actions, command menus and chats', async () => {
    await api.sendChatAction(alice.id, 'typing');
    expect(fake.sent.at(-1)).toEqual({ method: 'sendChatAction', chat_id: alice.id, action: 'typing' });
    const badAction = fetch(`${fake.apiRoot}/bot${fake.token}/sendChatAction`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: alice.id, action: 'dancing' }),
    });
    expect((await badAction).status).toBe(400);

    await api.setMyCommands([{ command: 'help', description: 'How to use this bot' }]);
    expect(fake.commands).toEqual([{ command: 'help', description: 'How to use this bot' }]);
    expect((await refusal(api.setMyCommands([{ command: 'Bad-Name', description: 'x' }]))).description).toBe(
      'Bad Request: BOT_COMMAND_INVALID',
    );
    expect(await refusal(api.sendMessage(424_242, 'hi'))).toEqual({
      code: 400,
      description: 'Bad Request: chat not found',
    });
  });
});
