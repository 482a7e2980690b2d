/**
 * `scriptbox bot telegram [--token T] [--api-root URL] [--per-user-per-minute N] [--session-idle MIN]`:
 * the chat engine as a Telegram bot (src/faces/telegram), long polling. The token comes from --token or
 * SCRIPTBOX_TELEGRAM_TOKEN (better: `ps` shows options to every user); it is never printed. The library is the one
 * under SCRIPTBOX_HOME and the LLM comes from SCRIPTBOX_LLM_*. Logs go to stderr as JSON lines. Ctrl-C or
 * SIGTERM stops polling, lets the messages already received be answered (cancelling what still runs
 * after the bot's shutdown grace), then closes every session; a second one exits at once.
 */
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { readEnv } from '../../config.js';
import { createEngine, type Engine } from '../../engine/engine.js';
import { DEFAULT_SESSION_IDLE_MS } from '../../engine/session.js';
import { UsageError } from '../../errors.js';
import { llmProviderFromEnv } from '../../generate/llm/provider.js';
import { createTemplateRegistry } from '../../generate/registry.js';
import { openLibrary } from '../../library/index.js';
import { createChatEngine } from '../../workflows/chat/engine.js';
import type { ChatEngine } from '../../workflows/chat/types.js';
import { createTelegramBot, DEFAULT_SHUTDOWN_GRACE_MS } from '../telegram/bot.js';
import { DEFAULT_MESSAGES_PER_MINUTE } from '../telegram/user-rate-limit.js';
import { Interrupt } from './interrupt.js';
import { writeText } from './io.js';

const DEFAULT_SESSION_IDLE_MINUTES = DEFAULT_SESSION_IDLE_MS / 60_000;

const TelegramCliOptsSchema = z.object({
  token: z.string().optional(),
  apiRoot: z.string().optional(),
  perUserPerMinute: z.number().int().min(1),
  sessionIdle: z.number().int().min(1),
});
type TelegramCliOpts = z.infer<typeof TelegramCliOptsSchema>;

function parseCount(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number, at least 1.');
  return Number(value);
}

export function botCommand(setExitCode: (code: number) => void): Command {
  const telegram = new Command('telegram')
    .description(
      'answer on Telegram: users send a CSV, TSV or Excel file and ask for analyses; each user gets a ' +
        'sandbox session of their own (token from SCRIPTBOX_TELEGRAM_TOKEN, from @BotFather)',
    )
    .option('--token <token>', 'bot token (default SCRIPTBOX_TELEGRAM_TOKEN, which keeps it out of `ps`)')
    .option('--api-root <url>', 'Bot API server, e.g. a self-hosted one (default https://api.telegram.org)')
    .option(
      '--per-user-per-minute <n>',
      'messages one user may send a minute',
      parseCount,
      DEFAULT_MESSAGES_PER_MINUTE,
    )
    .option(
      '--session-idle <minutes>',
      "close a user's sandbox session after this long unused",
      parseCount,
      DEFAULT_SESSION_IDLE_MINUTES,
    )
    .action(async (raw: unknown) => {
      setExitCode(await runTelegram(TelegramCliOptsSchema.parse(raw)));
    });
  return new Command('bot').description('run the chat as a bot on a messaging platform').addCommand(telegram);
}

async function runTelegram(opts: TelegramCliOpts): Promise<number> {
  const token = opts.token ?? readEnv().telegramToken;
  if (token === undefined) {
    throw new UsageError(
      'no bot token: set SCRIPTBOX_TELEGRAM_TOKEN to the token @BotFather gave (or pass --token)',
    );
  }
  const library = openLibrary();
  const interrupt = new Interrupt();
  let engine: Engine | undefined;
  let chat: ChatEngine | undefined;
  try {
    engine = await createEngine();
    chat = createChatEngine({
      engine,
      registry: createTemplateRegistry(),
      library,
      llm: llmProviderFromEnv(),
      sessionIdleMs: opts.sessionIdle * 60_000,
    });
    const bot = createTelegramBot({
      token,
      chat,
      perUserPerMinute: opts.perUserPerMinute,
      ...(opts.apiRoot !== undefined ? { apiRoot: opts.apiRoot } : {}),
    });
    const me = await bot.connect();
    let stopping: Promise<void> | undefined;
    interrupt.signal.addEventListener(
      'abort',
      () => {
        process.stderr.write(
          'scriptbox: stopping: answering the messages already received (what still runs after ' +
            `${DEFAULT_SHUTDOWN_GRACE_MS / 1000} s is cancelled; again to exit now)\n`,
        );
        stopping = bot.stop();
      },
      { once: true },
    );
    await writeText(process.stderr, `scriptbox: answering as @${me.username} on Telegram (Ctrl-C stops)\n`);
    // A Ctrl-C during start-up came before the listener: there is nothing to stop yet.
    if (!interrupt.signal.aborted) await bot.start();
    await (stopping ?? bot.stop());
  } finally {
    interrupt.dispose();
    await chat?.close();
    await engine?.close();
    library.close();
  }
  return interrupt.exitCode ?? 0;
}
