/**
 * Sends rendered replies to one chat, in order. Messages go in parse mode HTML without link previews.
 * An image Telegram will not take as a photo (over 10 MB, or dimensions it refuses) is sent as a document
 * instead, so the user still gets the file.
 */
import { GrammyError, InputFile, type Api } from 'grammy';
import type { Outgoing } from './render.js';

/** Telegram's largest photo upload. */
const PHOTO_LIMIT_BYTES = 10 * 1024 * 1024;

export async function sendOutgoing(api: Api, chatId: number, outgoing: Outgoing[]): Promise<void> {
  for (const item of outgoing) {
    if (item.kind === 'message') {
      await api.sendMessage(chatId, item.html, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      });
      continue;
    }
    const extra = item.caption === undefined ? {} : { caption: item.caption };
    if (item.kind === 'photo' && item.bytes.length <= PHOTO_LIMIT_BYTES) {
      try {
        await api.sendPhoto(chatId, new InputFile(item.bytes, item.name), extra);
        continue;
      } catch (err) {
        if (!(err instanceof GrammyError && err.error_code === 400)) throw err;
      }
    }
    await api.sendDocument(chatId, new InputFile(item.bytes, item.name), extra);
  }
}
