/**
 * What the bot does with one message once it is admitted: pass text to the chat engine with progress
 * shown and send the replies; check a document's size before getFile, download it and pass it on; answer
 * photos and other media with what to send instead. Anything that fails is logged and answered with
 * what to do, never with a stack trace.
 */
import type { Api } from 'grammy';
import type { Message } from 'grammy/types';
import type { ChatEngine, ChatInput, ChatReply } from '../../workflows/chat/types.js';
import { errorDetails, type BotLog } from './log.js';
import { ProgressIndicator } from './progress.js';
import { renderReplies } from './render.js';
import { sendOutgoing } from './send.js';
import {
  ACCEPTED_FORMATS,
  DownloadError,
  downloadFile,
  tooLargeNotice,
  type DownloadOpts,
} from './uploads.js';

export const PHOTO_ANSWER =
  `I read tables, not pictures: send your data as a file (📎 → File) in ${ACCEPTED_FORMATS} format, ` +
  'then ask for an analysis. /help shows examples.';
export const OTHER_MEDIA_ANSWER =
  `I understand text messages and tables sent as files (${ACCEPTED_FORMATS}). /help shows what to send ` +
  'and what to ask.';
const DOWNLOAD_FAILED =
  'I could not download that file from Telegram. Send it again; if it keeps failing, send a smaller ' +
  `extract as ${ACCEPTED_FORMATS}.`;
const HANDLE_FAILED =
  'Something went wrong on my side while handling that message (it is logged for the operator). Try ' +
  'again; if it keeps failing, try a different request or send /help.';
const SEND_FAILED =
  'I could not send that answer (it is logged for the operator). Try again, or ask for less at once ' +
  '(fewer columns).';

/** One conversation per Telegram user, in whichever chat they write (a message without a sender: its chat). */
export function conversationId(message: Message): string {
  return `telegram:${message.from?.id ?? message.chat.id}`;
}

/** Handles one message: its task answers with a text, or sends its own replies and answers undefined. */
export class MessageHandler {
  constructor(
    private readonly chat: ChatEngine,
    private readonly log: BotLog,
    private readonly download: DownloadOpts,
    /** The bot's shutdown: aborting it cancels the work of the messages being answered. */
    private readonly shutdown: AbortSignal,
  ) {}

  /** Runs `task` and sends the text it answers; a failure is logged and the user told what to do. */
  async guard(api: Api, message: Message, task: () => Promise<string | undefined>): Promise<void> {
    try {
      const text = await task();
      if (text !== undefined)
        await sendOutgoing(api, message.chat.id, renderReplies([{ kind: 'text', text }]));
    } catch (err) {
      this.log({ level: 'error', event: 'send_failed', user: conversationId(message), ...errorDetails(err) });
      await api.sendMessage(message.chat.id, SEND_FAILED).catch((again: unknown) => {
        this.log({
          level: 'error',
          event: 'send_failed',
          user: conversationId(message),
          ...errorDetails(again),
        });
      });
    }
  }

  /** Passes `input` to the chat engine with progress shown, and sends its replies (then `extra`). */
  async converse(
    api: Api,
    message: Message,
    input: ChatInput,
    extra: ChatReply[] = [],
  ): Promise<string | undefined> {
    const user = conversationId(message);
    const progress = new ProgressIndicator(api, message.chat.id, this.log);
    progress.start();
    let replies: ChatReply[];
    try {
      replies = await this.chat.handle(user, input, {
        onProgress: (update) => progress.update(update),
        signal: this.shutdown,
      });
    } catch (err) {
      await progress.finish(false);
      this.log({ level: 'error', event: 'handle_failed', user, ...errorDetails(err) });
      return HANDLE_FAILED;
    }
    await progress.finish(true);
    await sendOutgoing(api, message.chat.id, renderReplies([...replies, ...extra]));
    return undefined;
  }

  /** Checks the size Telegram reports before getFile, downloads, and hands the file to the chat engine. */
  async upload(
    api: Api,
    message: Message,
    document: NonNullable<Message['document']>,
  ): Promise<string | undefined> {
    const maxBytes = this.download.maxBytes;
    if (document.file_size !== undefined && document.file_size > maxBytes) {
      return tooLargeNotice(document.file_size, maxBytes);
    }
    let bytes: Uint8Array;
    try {
      bytes = await downloadFile(api, document.file_id, this.download);
    } catch (err) {
      if (err instanceof DownloadError && err.tooLarge) return tooLargeNotice(undefined, maxBytes);
      this.log({
        level: 'warn',
        event: 'download_failed',
        user: conversationId(message),
        ...errorDetails(err),
      });
      return DOWNLOAD_FAILED;
    }
    const name = document.file_name ?? 'file';
    const caption = message.caption?.trim();
    return this.converse(api, message, { kind: 'file', name, bytes, ...(caption ? { caption } : {}) });
  }
}
