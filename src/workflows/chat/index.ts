/**
 * The chat workflow (`scriptbox/chat`): the conversation engine behind `scriptbox chat` and the Telegram bot.
 * A face turns its platform's messages into ChatInput and renders the ChatReply list it gets back.
 */
export { createChatEngine, DEFAULT_CHAT_LIMITS, type ChatEngineOpts } from './engine.js';
export type { ChatEngine, ChatHooks, ChatInput, ChatProgress, ChatReply } from './types.js';
