/**
 * The chat engine's contract, shared by every chat face (the terminal chat, the Telegram bot, later the
 * web UI): a face turns its platform's messages into ChatInput and renders the ChatReply list it gets
 * back. Replies are platform-neutral; tables stay structured so each face lays them out for its medium.
 */
import type { Block } from '../analysis/spec.js';

export type ChatInput =
  | { kind: 'text'; text: string }
  | {
      kind: 'file';
      /** The file name as the user sent it (e.g. `sales.csv`). */
      name: string;
      bytes: Uint8Array;
      /** Text sent along with the file (a Telegram caption), handled as a message after the upload. */
      caption?: string;
    };

export type ChatReply =
  | Block
  | { kind: 'image'; name: string; bytes: Uint8Array; caption?: string }
  | { kind: 'document'; name: string; bytes: Uint8Array; caption?: string };

/** What the engine is doing, for faces that show progress (a chat action, an edited status message). */
export type ChatProgress =
  | { stage: 'reading'; text: string }
  | { stage: 'generating'; text: string }
  | { stage: 'running'; text: string }
  | { stage: 'charting'; text: string };

/** What a face gives with one message besides the message itself. */
export interface ChatHooks {
  onProgress?: (progress: ChatProgress) => void;
  /**
   * Aborting it cancels the message's work (a session starting, a run, an LLM request): handle() then
   * answers that it was cancelled, and the conversation stays usable for the next message.
   */
  signal?: AbortSignal;
}

export interface ChatEngine {
  /**
   * Handles one message of one conversation (conversations are independent: their own dataset, session
   * and pending confirmation). Never throws for a user's mistake: it answers with what to do instead;
   * nor for `hooks.signal` aborting: it answers that the message was cancelled.
   */
  handle(conversationId: string, input: ChatInput, hooks?: ChatHooks): Promise<ChatReply[]>;
  /** Ends every conversation's session. */
  close(): Promise<void>;
}
