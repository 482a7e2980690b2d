/**
 * createTelegramBot(): the Telegram face of the chat engine, on grammY with long polling. Each Telegram
 * user is one conversation (`telegram:<user id>`: their own dataset, sandbox session and pending
 * confirmation). Texts and commands go to the chat engine (/start and /help get a note on sending files
 * added), and documents go to it as uploads once downloaded (after a size check, before getFile). Replies
 * come back as HTML messages, photos and documents (render.ts), with progress while the engine works
 * (progress.ts). Messages are rate-limited per user; a user's messages are handled in order, different
 * users' at the same time. Failures are logged to stderr as JSON lines (never the token) and the user is
 * told what to do, never shown a stack trace.
 */
import { Bot, GrammyError, HttpError, type Context } from 'grammy';
import type { Message, UserFromGetMe } from 'grammy/types';
import { z } from 'zod';
import { TelegramTokenSchema } from '../../config.js';
import { parseOptions } from '../../parse-options.js';
import { ScriptboxError, UsageError } from '../../errors.js';
import type { ChatEngine, ChatReply } from '../../workflows/chat/types.js';
import { BOT_COMMANDS, uploadNote } from './help.js';
import { errorDetails, jsonLinesLog } from './log.js';
import { conversationId, MessageHandler, OTHER_MEDIA_ANSWER, PHOTO_ANSWER } from './message-handler.js';
import { SerialQueues } from './serial-queues.js';
import { DEFAULT_API_ROOT, DEFAULT_MAX_DOWNLOAD_BYTES } from './uploads.js';
import { DEFAULT_MESSAGES_PER_MINUTE, UserRateLimit } from './user-rate-limit.js';

/** How long stop() lets the messages received be answered before it cancels their work. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export const TelegramBotOptsSchema = z
  .object({
    token: TelegramTokenSchema.describe('The bot token from @BotFather (a secret: never logged)'),
    apiRoot: z
      .string()
      .url()
      .optional()
      .describe(`Bot API server to talk to (default ${DEFAULT_API_ROOT}; a self-hosted one, a test server)`),
    chat: z
      .custom<ChatEngine>(
        (value) =>
          typeof value === 'object' && value !== null && typeof Reflect.get(value, 'handle') === 'function',
        'expected a ChatEngine',
      )
      .describe('The chat engine that answers; the caller closes it after stop()'),
    maxDownloadBytes: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        `Largest document accepted (default ${DEFAULT_MAX_DOWNLOAD_BYTES}, Telegram's getFile limit)`,
      ),
    perUserPerMinute: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe(`Messages one user may send a minute (default ${DEFAULT_MESSAGES_PER_MINUTE})`),
    logLine: z
      .custom<(line: string) => void>((value) => typeof value === 'function', 'expected a function')
      .optional()
      .describe('Where JSON log lines go (default stderr)'),
    shutdownGraceMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .optional()
      .describe(
        `On stop(), how long the messages received may take to be answered before their work is ` +
          `cancelled (default ${DEFAULT_SHUTDOWN_GRACE_MS} ms)`,
      ),
  })
  .strict();
export type TelegramBotOpts = z.infer<typeof TelegramBotOptsSchema>;

export interface TelegramBot {
  bot: Bot;
  /**
   * Checks the token and the server with one getMe, without grammY's retries, so a wrong token or API
   * root fails at once with what to fix. Returns the bot's own user.
   */
  connect(): Promise<UserFromGetMe>;
  /**
   * Connects if not yet done, registers the command menu, then long-polls until stop(). Rejects when
   * polling cannot go on: the token is refused (401) or another process polls with it (409).
   */
  start(): Promise<void>;
  /**
   * Stops polling and waits until the messages already received are answered. Work still going after
   * `shutdownGraceMs` (a run, a session starting, an LLM request) is cancelled, and its user told so.
   */
  stop(): Promise<void>;
}

export function createTelegramBot(raw: TelegramBotOpts): TelegramBot {
  const opts = parseOptions(TelegramBotOptsSchema, raw, 'Telegram bot options');
  const apiRoot = (opts.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, '');
  const maxBytes = opts.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const log = jsonLinesLog(opts.token, opts.logLine);
  const bot = new Bot(opts.token, { client: { apiRoot } });
  const limits = new UserRateLimit(opts.perUserPerMinute ?? DEFAULT_MESSAGES_PER_MINUTE);
  const queues = new SerialQueues();
  // Aborted when stop()'s grace period ends: every message's work gets its signal.
  const shutdown = new AbortController();
  const handler = new MessageHandler(
    opts.chat,
    log,
    { apiRoot, token: opts.token, maxBytes },
    shutdown.signal,
  );

  const messages = bot.on('message');
  messages.use(async (ctx, next) => {
    const user = conversationId(ctx.message);
    const admission = limits.admit(user);
    if (admission.admitted) return next();
    const notice = admission.notice;
    if (notice !== null) {
      log({ level: 'info', event: 'rate_limited', user });
      queues.push(`notice:${user}`, () => handler.guard(ctx.api, ctx.message, () => Promise.resolve(notice)));
    }
  });
  const enqueue = (ctx: Context & { message: Message }, task: () => Promise<string | undefined>): void => {
    queues.push(conversationId(ctx.message), () => handler.guard(ctx.api, ctx.message, task));
  };
  messages.command(['start', 'help'], (ctx) => {
    const note: ChatReply = { kind: 'text', text: uploadNote(maxBytes) };
    enqueue(ctx, () =>
      handler.converse(ctx.api, ctx.message, { kind: 'text', text: ctx.message.text }, [note]),
    );
  });
  messages.on('message:text', (ctx) => {
    enqueue(ctx, () => handler.converse(ctx.api, ctx.message, { kind: 'text', text: ctx.message.text }));
  });
  messages.on('message:document', (ctx) =>
    enqueue(ctx, () => handler.upload(ctx.api, ctx.message, ctx.message.document)),
  );
  messages.on('message:photo', (ctx) => enqueue(ctx, () => Promise.resolve(PHOTO_ANSWER)));
  messages.use((ctx) => enqueue(ctx, () => Promise.resolve(OTHER_MEDIA_ANSWER)));
  bot.catch((err) => {
    log({
      level: 'error',
      event: 'update_failed',
      update: err.ctx.update.update_id,
      ...errorDetails(err.error),
    });
  });

  const connect = async (): Promise<UserFromGetMe> => {
    if (!bot.isInited()) bot.botInfo = await bot.api.getMe().catch(failure(apiRoot, opts.token));
    return bot.botInfo;
  };
  let stopped = false;
  return {
    bot,
    connect,
    async start() {
      await connect();
      await bot.api.setMyCommands(BOT_COMMANDS).catch((err: unknown) => {
        log({ level: 'warn', event: 'set_commands_failed', ...errorDetails(err) });
      });
      if (stopped) return;
      await bot
        .start({
          allowed_updates: ['message'],
          onStart: (me) => log({ level: 'info', event: 'polling_started', bot: me.username }),
        })
        .catch(failure(apiRoot, opts.token));
    },
    async stop() {
      stopped = true;
      if (bot.isRunning()) await bot.stop();
      const grace = setTimeout(() => shutdown.abort(), opts.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
      try {
        await queues.idle();
      } finally {
        clearTimeout(grace);
      }
    },
  };
}

/** Bot API answers that stop the bot, as errors that say what to fix (never holding the token). */
function failure(apiRoot: string, token: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof HttpError) {
      // The network error names the URL, which holds the token.
      const cause = err.error instanceof Error ? err.error.message : String(err.error);
      const reason = cause.replaceAll(token, '<token>');
      throw new ScriptboxError('INTERNAL', `cannot reach the Bot API server at ${apiRoot}: ${reason}`, {
        cause: err,
      });
    }
    if (!(err instanceof GrammyError)) throw err;
    if (err.error_code === 401) {
      throw new UsageError(
        'the Bot API server refused the bot token (401 Unauthorized): use the token @BotFather gave',
      );
    }
    if (err.error_code === 404) {
      throw new UsageError(
        `${apiRoot} does not know this bot token (404 Not Found): check the token, and that the API ` +
          'root is a Bot API server (like https://api.telegram.org)',
      );
    }
    if (err.error_code === 409) {
      throw new UsageError(
        "another process is getting this bot's updates (409 Conflict): stop it, or delete the bot's " +
          'webhook, then start again',
      );
    }
    throw err;
  };
}
