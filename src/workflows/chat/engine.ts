/**
 * The chat engine (ChatEngine in types.ts): a conversation workflow that the chat faces adapt (the terminal
 * chat, faces/cli/chat.ts; the Telegram bot, faces/telegram/). Each conversation uploads a table, asks for
 * analyses in commands or words, and manages library scripts; its scripts run in a sandbox session of its
 * own. A waiting confirmation takes the next message first (confirm.ts); otherwise the message's intent
 * (intent.ts) picks the handler. Mistakes are answered, not thrown: every ScriptboxError becomes a reply
 * with its message, which says what to change.
 */
import { withinCeilings } from '../../engine/ceilings.js';
import type { Engine } from '../../engine/engine.js';
import type { PartialLimits } from '../../engine/options.js';
import { DEFAULT_SESSION_IDLE_MS } from '../../engine/session.js';
import { ScriptboxError } from '../../errors.js';
import type { LlmProvider } from '../../generate/llm/provider.js';
import type { TemplateRegistry } from '../../generate/registry.js';
import type { Library } from '../../library/index.js';
import { ANALYSES } from '../analysis/analyses/index.js';
import { DEFAULT_MAX_DATASET_BYTES } from '../analysis/dataset.js';
import { previewBlocks } from '../analysis/dataset-preview.js';
import { analysisTurn } from './analysis-turn.js';
import { didYouMean } from './close-names.js';
import { isYes, settle } from './confirm.js';
import { Conversation } from './conversation.js';
import { ConversationStore } from './conversations.js';
import {
  analysesReplies,
  helpContext,
  helpReplies,
  LLM_SETTINGS_HINT,
  noDatasetReplies,
  startReplies,
  unknownReplies,
} from './help.js';
import { parseIntent, type Intent, type ParseContext } from './intent.js';
import { deleteCodeTurn, listCodeTurn, runCodeTurn, updateCodeTurn } from './library-turn.js';
import { llmScriptTurn } from './llm-turn.js';
import { scriptReplies } from './script-replies.js';
import { text, type ChatParts, type Turn } from './turn.js';
import { correctedMessage, unknownCommandText } from './typos.js';
import type { ChatEngine, ChatInput, ChatReply } from './types.js';
import { uploadTurn } from './upload-turn.js';

/** Per run: the original design's 30 s and 2 GB. */
export const DEFAULT_CHAT_LIMITS: PartialLimits = { timeoutMs: 30_000, cpuMs: 30_000, memoryMb: 2048 };
export const DEFAULT_MAX_CONVERSATIONS = 500;
/** The answer to a message whose work was cancelled before it had a result (hooks.signal aborted). */
export const CANCELLED = 'Cancelled: this message was not finished. Send it again to retry.';

/** Imported once per session, so analyses do not pay for them on every run. */
export const SESSION_PRELOAD = [
  'pandas',
  'numpy',
  'matplotlib',
  'matplotlib.pyplot',
  'scipy.stats',
  'sklearn.ensemble',
  'sklearn.linear_model',
  'sklearn.metrics',
  'sklearn.model_selection',
  'sklearn.pipeline',
  'sklearn.preprocessing',
];

export interface ChatEngineOpts {
  engine: Engine;
  /** Templates of the analyses (createTemplateRegistry()). */
  registry: TemplateRegistry;
  /** The script library, for generate/run/update/delete code; without it those answer that it is missing. */
  library?: Library;
  /** The LLM for free-form code; absent: no LLM is configured. */
  llm?: LlmProvider | null;
  /** A conversation's sandbox session closes after this long unused (default 10 minutes; at least 1000). */
  sessionIdleMs?: number;
  /** Largest file accepted as a dataset (default DEFAULT_MAX_DATASET_BYTES). */
  maxDatasetBytes?: number;
  /** Limits of each run, over DEFAULT_CHAT_LIMITS. */
  limits?: PartialLimits;
  /** Conversations kept; beyond it the least recently used idle one is forgotten (default 500). */
  maxConversations?: number;
}

/** The session's work dir must hold the dataset's canonical CSV (and what scripts write): room for both. */
function diskMbFor(maxDatasetBytes: number): number {
  return Math.max(64, Math.ceil((3 * maxDatasetBytes) / 1_048_576));
}

export function createChatEngine(opts: ChatEngineOpts): ChatEngine {
  const maxDatasetBytes = opts.maxDatasetBytes ?? DEFAULT_MAX_DATASET_BYTES;
  const limits: PartialLimits = {
    // The chat's own defaults fit under the engine's ceilings; limits the caller sets are checked as asked.
    ...withinCeilings({ ...DEFAULT_CHAT_LIMITS, diskMb: diskMbFor(maxDatasetBytes) }, opts.engine.ceilings),
    ...opts.limits,
  };
  const chat: ChatParts = {
    engine: opts.engine,
    registry: opts.registry,
    library: opts.library ?? null,
    llm: opts.llm ?? null,
    limits,
    maxDatasetBytes,
    analyses: ANALYSES,
  };
  const openSession = (signal?: AbortSignal) =>
    opts.engine.createSession({
      language: 'python',
      // Each analysis script stands alone (as it is saved and re-run): a fresh process per run.
      state: 'fresh',
      preload: SESSION_PRELOAD,
      limits,
      idleTimeoutMs: opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS,
      signal,
    });
  const conversations = new ConversationStore(
    opts.maxConversations ?? DEFAULT_MAX_CONVERSATIONS,
    () => new Conversation(openSession),
  );
  return {
    handle: (conversationId, input, hooks = {}) =>
      conversations.run(conversationId, (conversation) =>
        answer({ chat, conversation, who: `chat:${conversationId}`, hooks }, input),
      ),
    close: () => conversations.close(),
  };
}

async function answer(turn: Turn, input: ChatInput): Promise<ChatReply[]> {
  // Cancelled while it waited behind the conversation's earlier messages: nothing of it is done.
  if (turn.hooks.signal?.aborted) return [text(CANCELLED)];
  try {
    const pending = turn.conversation.pending;
    if (pending) {
      turn.conversation.pending = null;
      return await settle(pending, input, turn.hooks);
    }
    if (input.kind === 'text') return await textTurn(turn, input.text);
    const { loaded, replies } = await uploadTurn(turn, input.name, input.bytes);
    const caption = input.caption?.trim() ?? '';
    return caption !== '' && loaded ? [...replies, ...(await textTurn(turn, caption))] : replies;
  } catch (err) {
    // Whatever the abort cut short (a session starting, an LLM request) rejected with its reason.
    if (turn.hooks.signal?.aborted) return [text(CANCELLED)];
    if (err instanceof ScriptboxError) return [text(err.message)];
    throw err;
  }
}

function textTurn(turn: Turn, message: string): Promise<ChatReply[]> | ChatReply[] {
  if (message.trim() === '') return helpReplies(helpContext(turn));
  if (isYes(message)) return [text('Nothing is waiting for a yes right now.')];
  return intentTurn(turn, parseIntent(message, parseContext(turn)));
}

/** What the message parser knows: the analyses, and the loaded dataset's columns. */
function parseContext(turn: Turn): ParseContext {
  const dataset = turn.conversation.dataset;
  return {
    analyses: turn.chat.analyses,
    columns: dataset ? dataset.table.columns.map((column) => column.name) : [],
  };
}

function intentTurn(turn: Turn, intent: Intent): Promise<ChatReply[]> | ChatReply[] {
  const { conversation, chat } = turn;
  switch (intent.kind) {
    case 'start':
      return startReplies(helpContext(turn));
    case 'help':
      return helpReplies(helpContext(turn));
    case 'list-analyses':
      return analysesReplies(helpContext(turn));
    case 'unknown-analysis': {
      const close = didYouMean(
        intent.name,
        chat.analyses.map((spec) => spec.name),
      );
      return [text(`There is no analysis "${intent.name}".${close}`), ...analysesReplies(helpContext(turn))];
    }
    case 'unknown-command':
      return [text(unknownCommandText(intent.command, intent.args))];
    case 'analysis':
      return analysisTurn(turn, intent);
    case 'preview':
      return conversation.dataset ? previewBlocks(conversation.dataset) : noDatasetReplies();
    case 'show-script':
      return conversation.lastScript
        ? scriptReplies(conversation.lastScript)
        : [text('No script yet: run an analysis first, e.g. /script descriptive.')];
    case 'list-code':
      return listCodeTurn(turn);
    case 'run-code':
      return runCodeTurn(turn, intent.name);
    case 'update-code':
      return updateCodeTurn(turn, intent);
    case 'delete-code':
      return deleteCodeTurn(turn, intent.name);
    case 'generate-code':
      return generateCodeTurn(turn, intent.request, intent.analysis);
    case 'free':
      return chat.llm ? llmScriptTurn(turn, chat.llm, intent.text) : notUnderstood(turn, intent.text);
  }
}

/** A message that means nothing (and no LLM to hand it to): what it may have meant, else the help. */
function notUnderstood(turn: Turn, message: string): ChatReply[] {
  const meant = correctedMessage(message, parseContext(turn));
  if (meant === null) return unknownReplies(helpContext(turn));
  return [
    text(
      `I did not understand that. Did you mean "${meant}"? Send it as you meant it; "help" lists the rest.`,
    ),
  ];
}

function generateCodeTurn(
  turn: Turn,
  request: string,
  analysis: Extract<Intent, { kind: 'generate-code' }>['analysis'],
): Promise<ChatReply[]> | ChatReply[] {
  const { llm } = turn.chat;
  if (request === '') return [text('Say what the code should do: "generate code <what it should do>".')];
  if (llm) return llmScriptTurn(turn, llm, request);
  if (analysis) return analysisTurn(turn, { ...analysis, unknown: [] }, { save: true });
  return [
    text(`Free-form code needs an LLM: ${LLM_SETTINGS_HINT}. Without one, these analyses are ready:`),
    ...analysesReplies(helpContext(turn)),
  ];
}
