/**
 * A local Bot API server for tests: node:http speaking Telegram's wire format at `/bot<token>/<method>`
 * (JSON and multipart/form-data bodies; answers `{ok:true,result}` or `{ok:false,error_code,description}`)
 * and the download path `/file/bot<token>/<file_path>`, with the real shapes of User, Chat, Message,
 * PhotoSize, Document and File. It enforces the limits a rendering bug would hit: texts over 4096 and
 * captions over 1024 characters after entities parsing, HTML that does not parse, an edit that changes
 * nothing, unknown methods (404), a wrong token (401), getFile past 20 MB.
 *
 * Tests play the users (sendUserMessage, sendUserDocument, sendUserPhoto queue updates that long polling
 * returns) and read what the bot did: every call in `calls`, what it sent in `sent`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseTelegramHtml, EntityParseError } from './fake-html.js';
import { parseMultipart } from './multipart.js';

export const FAKE_TOKEN = '123456789:TEST-fake-token_for-the-bot';
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const MAX_GET_FILE_BYTES = 20 * 1024 * 1024;
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

export interface FakeUser {
  id: number;
  first_name: string;
  username?: string;
}

/** Something the bot did in a chat. */
export interface SentRecord {
  method: string;
  chat_id: number;
  /** The message sent, edited or deleted. */
  message_id?: number;
  text?: string;
  parse_mode?: string;
  caption?: string;
  action?: string;
  /** The uploaded photo or document. */
  file?: { name: string; bytes: Buffer };
}

/** One API call and how it was answered. */
export interface CallRecord {
  method: string;
  params: Record<string, unknown>;
  ok: boolean;
  description?: string;
}

interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  name: string;
  bytes: Buffer;
}

interface Waiter {
  check: () => boolean;
}

type Params = Record<string, unknown>;
type Json = Record<string, unknown>;

class ApiError extends Error {
  constructor(
    readonly code: number,
    description: string,
  ) {
    super(description);
  }
}

const badRequest = (detail: string): ApiError => new ApiError(400, `Bad Request: ${detail}`);

export class FakeBotApi {
  readonly calls: CallRecord[] = [];
  readonly sent: SentRecord[] = [];
  readonly bot = { id: 123_456_789, is_bot: true, first_name: 'Scriptbox', username: 'scriptbox_test_bot' };
  /** The command menu from setMyCommands. */
  commands: { command: string; description: string }[] = [];
  private readonly updates: { update_id: number; message: Json }[] = [];
  private nextUpdateId = 1;
  /** The lowest update_id the bot has not confirmed (getUpdates offset). */
  private confirmedBelow = 0;
  private readonly chats = new Map<number, Json>();
  private readonly messages = new Map<string, Json>();
  /** Texts of the bot's messages as sent (markup included): an edit to the same one changes nothing. */
  private readonly rawTexts = new Map<string, unknown>();
  private readonly nextMessageId = new Map<number, number>();
  private readonly files = new Map<string, StoredFile>();
  private readonly waiters = new Set<Waiter>();
  private poll: { finish: (error?: ApiError) => void } | null = null;

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {}

  static async start(token = FAKE_TOKEN): Promise<FakeBotApi> {
    const server = createServer();
    const fake = new FakeBotApi(server, token);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.poll?.finish();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- the users' side ----

  sendUserMessage(from: FakeUser, text: string): Json {
    const command = /^\/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/.exec(text);
    return this.deliver(from, {
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    });
  }

  sendUserDocument(from: FakeUser, name: string, bytes: Uint8Array, caption?: string): Json {
    const file = this.storeFile('documents', name, Buffer.from(bytes));
    return this.deliver(from, {
      document: {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_name: name,
        mime_type: name.endsWith('.csv') ? 'text/csv' : 'application/octet-stream',
        file_size: bytes.length,
      },
      ...(caption === undefined ? {} : { caption }),
    });
  }

  sendUserPhoto(from: FakeUser, png: Uint8Array): Json {
    const file = this.storeFile('photos', 'photo.png', Buffer.from(png));
    const { width, height } = imageSize(file.bytes) ?? { width: 1, height: 1 };
    const size = { file_id: file.file_id, file_unique_id: file.file_unique_id, width, height };
    return this.deliver(from, { photo: [{ ...size, file_size: png.length }] });
  }

  /** The update_id of the last update queued. */
  get lastUpdateId(): number {
    return this.nextUpdateId - 1;
  }

  // ---- the test's view of the bot ----

  /** Count of `sent` records so far: pass it as `after` to wait for what comes next. */
  mark(): number {
    return this.sent.length;
  }

  /**
   * Waits until a record after index `after` matches, and returns the records from `after` up to and
   * including it. Fails after `timeoutMs` with everything sent since `after`, to show what went wrong.
   */
  waitForBotMessages(
    predicate: (record: SentRecord) => boolean,
    { after = 0, timeoutMs = 120_000 }: { after?: number; timeoutMs?: number } = {},
  ): Promise<SentRecord[]> {
    const found = (): number => this.sent.findIndex((record, index) => index >= after && predicate(record));
    return this.waitUntil(
      () => found() >= 0,
      timeoutMs,
      () => `no matching message; sent since: ${JSON.stringify(this.sent.slice(after).map(brief))}`,
    ).then(() => this.sent.slice(after, found() + 1));
  }

  /** Waits until the bot confirmed (by a later getUpdates offset) every update queued so far. */
  waitForConfirmed(timeoutMs = 120_000): Promise<void> {
    const last = this.lastUpdateId;
    return this.waitUntil(
      () => this.confirmedBelow > last,
      timeoutMs,
      () => `updates up to ${last} not confirmed`,
    );
  }

  /** Whether a getUpdates call is waiting for updates (a bot is long-polling). */
  get polling(): boolean {
    return this.poll !== null;
  }

  /** Calls the Bot API refused: a test asserts there were none. */
  refusedCalls(): CallRecord[] {
    return this.calls.filter((call) => !call.ok && call.method !== 'getUpdates');
  }

  private waitUntil(condition: () => boolean, timeoutMs: number, failure: () => string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          if (!condition()) return false;
          clearTimeout(timer);
          resolve();
          return true;
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(failure()));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) if (waiter.check()) this.waiters.delete(waiter);
  }

  // ---- state ----

  private deliver(from: FakeUser, content: Json): Json {
    const chat = { id: from.id, type: 'private', first_name: from.first_name, ...pickUsername(from) };
    this.chats.set(from.id, chat);
    const message = {
      message_id: this.newMessageId(from.id),
      from: { id: from.id, is_bot: false, first_name: from.first_name, ...pickUsername(from) },
      chat,
      date: now(),
      ...content,
    };
    this.messages.set(`${from.id}:${message.message_id}`, message);
    this.updates.push({ update_id: this.nextUpdateId, message });
    this.nextUpdateId += 1;
    this.poll?.finish();
    return message;
  }

  private newMessageId(chatId: number): number {
    const id = this.nextMessageId.get(chatId) ?? 1;
    this.nextMessageId.set(chatId, id + 1);
    return id;
  }

  private storeFile(folder: string, name: string, bytes: Buffer): StoredFile {
    const id = this.files.size + 1;
    const extension = /\.[A-Za-z0-9]+$/.exec(name)?.[0] ?? '';
    const file = {
      file_id: `FILE${id}-${'x'.repeat(20)}`,
      file_unique_id: `U${id}`,
      file_path: `${folder}/file_${id}${extension}`,
      name,
      bytes,
    };
    this.files.set(file.file_id, file);
    return file;
  }

  // ---- HTTP ----

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download) {
      const file = [...this.files.values()].find((stored) => stored.file_path === download[2]);
      if (download[1] !== this.token || !file) {
        reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
      res.end(file.bytes);
      return;
    }
    const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const method = call?.[2] ?? '';
    let params: Params = {};
    try {
      if (!call) throw new ApiError(404, 'Not Found');
      if (call[1] !== this.token) throw new ApiError(401, 'Unauthorized');
      params = await readParams(req, url);
      const result = await this.dispatch(method, params, req);
      this.calls.push({ method, params, ok: true });
      reply(res, 200, { ok: true, result });
    } catch (err) {
      const error =
        err instanceof ApiError ? err : new ApiError(500, `Internal Server Error: ${String(err)}`);
      this.calls.push({ method, params, ok: false, description: error.message });
      reply(res, error.code, { ok: false, error_code: error.code, description: error.message });
    }
    this.wake();
  }

  private dispatch(method: string, params: Params, req: IncomingMessage): unknown {
    switch (method) {
      case 'getMe':
        return {
          ...this.bot,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        };
      case 'deleteWebhook':
        return true;
      case 'getUpdates':
        return this.getUpdates(params, req);
      case 'setMyCommands':
        return this.setMyCommands(params);
      case 'getFile':
        return this.getFile(params);
      case 'sendMessage':
        return this.sendMessage(params);
      case 'sendPhoto':
      case 'sendDocument':
        return this.sendFile(method, params);
      case 'sendChatAction':
        return this.sendChatAction(params);
      case 'editMessageText':
        return this.editMessageText(params);
      case 'deleteMessage':
        return this.deleteMessage(params);
      default:
        throw new ApiError(404, 'Not Found');
    }
  }

  private async getUpdates(params: Params, req: IncomingMessage): Promise<Json[]> {
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeout = Number(params.timeout ?? 0);
    if (offset > 0) {
      this.confirmedBelow = Math.max(this.confirmedBelow, offset);
      while ((this.updates[0]?.update_id ?? offset) < offset) this.updates.shift();
    }
    this.wake();
    // A second getUpdates ends the first, as on Telegram.
    this.poll?.finish(new ApiError(409, 'Conflict: terminated by other getUpdates request'));
    if (this.updates.length === 0 && timeout > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(), timeout * 1000);
        const finish = (error?: ApiError): void => {
          clearTimeout(timer);
          if (this.poll === poll) this.poll = null;
          req.off('close', onClose);
          if (error) reject(error);
          else resolve();
        };
        const onClose = (): void => finish();
        const poll = { finish };
        this.poll = poll;
        req.on('close', onClose);
      });
    }
    return this.updates.slice(0, limit);
  }

  private setMyCommands(params: Params): true {
    const commands = parseJson(params.commands, 'commands') as { command: string; description: string }[];
    for (const { command, description } of commands) {
      if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
      if (description.length < 1 || description.length > 256) {
        throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
      }
    }
    this.commands = commands;
    return true;
  }

  private getFile(params: Params): Json {
    const file = this.files.get(String(params.file_id));
    if (!file) throw badRequest('invalid file_id');
    if (file.bytes.length > MAX_GET_FILE_BYTES) throw badRequest('file is too big');
    return {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_size: file.bytes.length,
      file_path: file.file_path,
    };
  }

  private chat(params: Params): Json & { id: number } {
    const chat = this.chats.get(Number(params.chat_id));
    if (!chat) throw badRequest('chat not found');
    return chat as Json & { id: number };
  }

  private sendMessage(params: Params): Json {
    const chat = this.chat(params);
    const text = formatted(
      params.text,
      params.parse_mode,
      MAX_TEXT,
      'message is too long',
      'message text is empty',
    );
    const message = this.botMessage(chat, { text }, params.text);
    this.record({
      method: 'sendMessage',
      chat_id: chat.id,
      message_id: message.message_id as number,
      ...textFields(params),
    });
    return message;
  }

  private sendFile(method: 'sendPhoto' | 'sendDocument', params: Params): Json {
    const chat = this.chat(params);
    const field = method === 'sendPhoto' ? 'photo' : 'document';
    const upload = params[field];
    if (!isUpload(upload)) throw badRequest(`there is no ${field} in the request`);
    const caption =
      params.caption === undefined
        ? undefined
        : formatted(params.caption, params.parse_mode, MAX_CAPTION, 'message caption is too long', null);
    const stored = this.storeFile(method === 'sendPhoto' ? 'photos' : 'documents', upload.name, upload.bytes);
    let media: Json;
    if (method === 'sendPhoto') {
      const size = imageSize(upload.bytes);
      if (!size) throw badRequest('IMAGE_PROCESS_FAILED');
      media = {
        photo: [
          {
            file_id: stored.file_id,
            file_unique_id: stored.file_unique_id,
            ...size,
            file_size: upload.bytes.length,
          },
        ],
      };
    } else {
      media = {
        document: {
          file_id: stored.file_id,
          file_unique_id: stored.file_unique_id,
          file_name: upload.name,
          file_size: upload.bytes.length,
        },
      };
    }
    const message = this.botMessage(chat, { ...media, ...(caption === undefined ? {} : { caption }) });
    this.record({
      method,
      chat_id: chat.id,
      message_id: message.message_id as number,
      ...(typeof params.caption === 'string' ? { caption: params.caption } : {}),
      file: upload,
    });
    return message;
  }

  private sendChatAction(params: Params): true {
    const chat = this.chat(params);
    const action = String(params.action);
    if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
    this.record({ method: 'sendChatAction', chat_id: chat.id, action });
    return true;
  }

  private editMessageText(params: Params): Json {
    const chat = this.chat(params);
    const key = `${chat.id}:${Number(params.message_id)}`;
    const message = this.messages.get(key);
    if (!message) throw badRequest('message to edit not found');
    if ((message.from as Json).id !== this.bot.id) throw badRequest("message can't be edited");
    const text = formatted(
      params.text,
      params.parse_mode,
      MAX_TEXT,
      'message is too long',
      'message text is empty',
    );
    if (message.text === text && this.rawTexts.get(key) === params.text) {
      throw badRequest(
        'message is not modified: specified new message content and reply markup are exactly the same ' +
          'as a current content and reply markup of the message',
      );
    }
    const edited = { ...message, text, edit_date: now() };
    this.messages.set(key, edited);
    this.rawTexts.set(key, params.text);
    this.record({
      method: 'editMessageText',
      chat_id: chat.id,
      message_id: Number(params.message_id),
      ...textFields(params),
    });
    return edited;
  }

  private deleteMessage(params: Params): true {
    const chat = this.chat(params);
    const key = `${chat.id}:${Number(params.message_id)}`;
    if (!this.messages.delete(key)) throw badRequest('message to delete not found');
    this.record({ method: 'deleteMessage', chat_id: chat.id, message_id: Number(params.message_id) });
    return true;
  }

  /** A message from the bot; `raw` is its text as sent, before entities parsing. */
  private botMessage(chat: Json & { id: number }, content: Json, raw?: unknown): Json {
    const message = { message_id: this.newMessageId(chat.id), from: this.bot, chat, date: now(), ...content };
    const key = `${chat.id}:${message.message_id}`;
    this.messages.set(key, message);
    if (raw !== undefined) this.rawTexts.set(key, raw);
    return message;
  }

  private record(record: SentRecord): void {
    this.sent.push(record);
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function pickUsername(user: FakeUser): Json {
  return user.username === undefined ? {} : { username: user.username };
}

function reply(res: ServerResponse, status: number, body: Json): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function brief(record: SentRecord): Json {
  return {
    ...record,
    ...(record.file ? { file: { name: record.file.name, bytes: record.file.bytes.length } } : {}),
  };
}

function textFields(params: Params): Pick<SentRecord, 'text' | 'parse_mode'> {
  return {
    text: String(params.text),
    ...(typeof params.parse_mode === 'string' ? { parse_mode: params.parse_mode } : {}),
  };
}

/** The text after entities parsing, checked against Telegram's limit; throws Telegram's 400 otherwise. */
function formatted(
  value: unknown,
  parseMode: unknown,
  limit: number,
  tooLong: string,
  empty: string | null,
): string {
  if (typeof value !== 'string') throw badRequest(empty ?? 'wrong caption');
  if (parseMode !== undefined && parseMode !== 'HTML') throw badRequest('unsupported parse_mode');
  let text: string;
  try {
    text = parseMode === 'HTML' ? parseTelegramHtml(value) : value;
  } catch (err) {
    if (err instanceof EntityParseError) throw new ApiError(400, err.message);
    throw err;
  }
  if (empty !== null && text.trim() === '') throw badRequest(empty);
  if (text.length > limit) throw badRequest(tooLong);
  return text;
}

interface Upload {
  name: string;
  bytes: Buffer;
}

function isUpload(value: unknown): value is Upload {
  return typeof value === 'object' && value !== null && Buffer.isBuffer((value as Upload).bytes);
}

function parseJson(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${field} JSON object`);
  }
}

/**
 * The request's parameters: query string, then the JSON or multipart body. In multipart bodies a field
 * `attach://<id>` names the file part `<id>` (grammY's way); a file part may also carry the field itself.
 */
async function readParams(req: IncomingMessage, url: URL): Promise<Params> {
  const params: Params = Object.fromEntries(url.searchParams);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (body.length === 0) return params;
  if (type.startsWith('application/json'))
    return { ...params, ...(JSON.parse(body.toString('utf8')) as Params) };
  if (!type.startsWith('multipart/form-data')) throw badRequest(`unsupported content type ${type}`);
  const parts = parseMultipart(body, type);
  const files = new Map(parts.filter((part) => part.filename !== undefined).map((part) => [part.name, part]));
  for (const part of parts) {
    const value = part.data.toString('utf8');
    const attached =
      part.filename === undefined && value.startsWith('attach://') ? files.get(value.slice(9)) : undefined;
    if (attached) params[part.name] = { name: attached.filename ?? 'file', bytes: attached.data };
    else if (part.filename !== undefined) params[part.name] ??= { name: part.filename, bytes: part.data };
    else params[part.name] = value;
  }
  return params;
}

/** Width and height of a PNG or JPEG, or null for anything else (Telegram refuses it as a photo). */
function imageSize(bytes: Buffer): { width: number; height: number } | null {
  if (
    bytes.length >= 24 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    // JPEG: walk the segments to a start-of-frame marker (C0..CF except C4, C8, CC).
    let at = 2;
    while (at + 9 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1] ?? 0;
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { width: bytes.readUInt16BE(at + 7), height: bytes.readUInt16BE(at + 5) };
      }
      at += 2 + bytes.readUInt16BE(at + 2);
    }
  }
  return null;
}
