/**
 * The chat engine's replies as the Telegram messages that carry them, in order: runs of text and table
 * blocks become HTML messages (split and merged to fit, see split.ts), images become photos and other
 * files documents. A caption longer than Telegram allows goes in a message just before its file.
 */
import type { Block } from '../../workflows/analysis/spec.js';
import type { ChatReply } from '../../workflows/chat/types.js';
import { CAPTION_LIMIT, MESSAGE_LIMIT, toHtml } from './rich-text.js';
import { blocksToMessages } from './split.js';

export type Outgoing =
  | { kind: 'message'; html: string }
  | { kind: 'photo' | 'document'; name: string; bytes: Uint8Array; caption?: string };

export function renderReplies(replies: ChatReply[], limit = MESSAGE_LIMIT): Outgoing[] {
  const outgoing: Outgoing[] = [];
  let blocks: Block[] = [];
  const flush = (): void => {
    for (const message of blocksToMessages(blocks, limit)) {
      outgoing.push({ kind: 'message', html: toHtml(message) });
    }
    blocks = [];
  };
  for (const reply of replies) {
    if (reply.kind === 'text' || reply.kind === 'table') {
      blocks.push(reply);
      continue;
    }
    const caption = reply.caption?.trim() ?? '';
    if (caption.length > CAPTION_LIMIT) blocks.push({ kind: 'text', text: caption });
    flush();
    outgoing.push({
      kind: reply.kind === 'image' ? 'photo' : 'document',
      name: reply.name,
      bytes: reply.bytes,
      ...(caption !== '' && caption.length <= CAPTION_LIMIT ? { caption } : {}),
    });
  }
  flush();
  return outgoing;
}
