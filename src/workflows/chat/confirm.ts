/**
 * Confirmations: running, updating or deleting library code, and anything an LLM wrote, wait for an
 * explicit yes (`yes`, `y` or `sure`, any case, optionally ending in `!` or `.`). Any other message
 * cancels the waiting action, is answered with what was cancelled, and is not acted on otherwise: a
 * stray "run code other.py" while a delete waits must not do anything.
 */
import type { ChatHooks, ChatInput, ChatReply } from './types.js';

/** An action waiting for the user's yes. */
export interface PendingAction {
  /** What a yes does, as a phrase: "delete stats_descriptive_001.py and its 2 versions". */
  what: string;
  perform(hooks: ChatHooks): Promise<ChatReply[]>;
}

export function isYes(text: string): boolean {
  return /^(yes|y|sure)[!.]?$/i.test(text.trim());
}

/** A plain refusal, which needs no "your message was not acted on". */
function isNo(text: string): boolean {
  return /^(no|n|nope|cancel|stop)[!.]?$/i.test(text.trim());
}

/** The question that ends a reply proposing `action`. */
export function confirmationQuestion(action: PendingAction): ChatReply {
  return { kind: 'text', text: `Reply yes to ${action.what}; anything else cancels.` };
}

/** The answer to a waiting action: a yes performs it, anything else cancels it. */
export async function settle(
  action: PendingAction,
  input: ChatInput,
  hooks: ChatHooks,
): Promise<ChatReply[]> {
  if (input.kind === 'text' && isYes(input.text)) return action.perform(hooks);
  const ignored =
    input.kind === 'file'
      ? ` Your file ${input.name} was not loaded: send it again.`
      : isNo(input.text)
        ? ''
        : ' Your message was not acted on: send it again if you meant it.';
  return [{ kind: 'text', text: `Cancelled: did not ${action.what}.${ignored}` }];
}
