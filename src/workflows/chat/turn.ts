/**
 * What every handler of a chat message works with: the engine's shared parts (sandbox engine, templates,
 * library, LLM, limits, analyses), the conversation, who is asking (for the library's records) and the
 * face's hooks; plus the small reply helpers they share.
 */
import type { Engine } from '../../engine/engine.js';
import type { PartialLimits } from '../../engine/options.js';
import type { TemplateRegistry } from '../../generate/registry.js';
import type { LlmProvider } from '../../generate/llm/provider.js';
import type { Library } from '../../library/index.js';
import type { AnalysisSpec } from '../analysis/spec.js';
import type { Conversation } from './conversation.js';
import type { ChatHooks, ChatProgress, ChatReply } from './types.js';

export interface ChatParts {
  engine: Engine;
  registry: TemplateRegistry;
  library: Library | null;
  llm: LlmProvider | null;
  /** Limits of every run (a template's own limits give way to these). */
  limits: PartialLimits;
  maxDatasetBytes: number;
  analyses: readonly AnalysisSpec[];
}

export interface Turn {
  chat: ChatParts;
  conversation: Conversation;
  /** Recorded as who saved, changed, deleted or ran library scripts: `chat:<conversation id>`. */
  who: string;
  hooks: ChatHooks;
}

export function progress(turn: Turn, stage: ChatProgress['stage'], text: string): void {
  turn.hooks.onProgress?.({ stage, text });
}

export function text(value: string): ChatReply {
  return { kind: 'text', text: value };
}
