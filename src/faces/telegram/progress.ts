/**
 * Progress for one message while the chat engine works on it: a chat action ("typing…", or "sending
 * photo…" once charts are on their way) repeated every 4 s, since Telegram shows one for 5 s; and, once
 * the engine reports a stage, a status message ("⏳ Running correlation on flats.csv…") edited as stages
 * change and finally to done or failed, naming the main work (reading or running). Telegram calls go
 * out one at a time, in order; a failed one is logged and does not stop the work it reports on.
 */
import type { Api } from 'grammy';
import type { ChatProgress } from '../../workflows/chat/types.js';
import { errorDetails, type BotLog } from './log.js';

const CHAT_ACTION_INTERVAL_MS = 4_000;

type Action = 'typing' | 'upload_photo';

export class ProgressIndicator {
  private action: Action = 'typing';
  private timer: NodeJS.Timeout | undefined;
  private calls: Promise<void> = Promise.resolve();
  private statusId: number | undefined;
  private shown: string | undefined;
  private wanted: string | undefined;
  /** What the final status names: the last reading or running stage, else the last stage. */
  private main: ChatProgress | undefined;

  constructor(
    private readonly api: Api,
    private readonly chatId: number,
    private readonly log: BotLog,
  ) {}

  start(): void {
    this.sendAction();
    this.timer = setInterval(() => this.sendAction(), CHAT_ACTION_INTERVAL_MS);
    this.timer.unref();
  }

  /** For ChatHooks.onProgress. */
  update(progress: ChatProgress): void {
    const action: Action = progress.stage === 'charting' ? 'upload_photo' : 'typing';
    if (action !== this.action) {
      this.action = action;
      this.sendAction();
    }
    if (!this.main || progress.stage === 'reading' || progress.stage === 'running') this.main = progress;
    this.showStatus(`⏳ ${sentence(progress.text)}…`);
  }

  /** Stops the chat action and marks the status message (if one was sent) done or failed. */
  async finish(ok: boolean): Promise<void> {
    clearInterval(this.timer);
    if (this.main) {
      const work = sentence(this.main.text);
      this.showStatus(ok ? `✅ ${work}: done` : `❌ ${work}: failed`);
    }
    await this.calls;
  }

  private sendAction(): void {
    const action = this.action;
    this.enqueue('chat_action_failed', async () => {
      await this.api.sendChatAction(this.chatId, action);
    });
  }

  /** Shows the latest wanted text; stages that change faster than Telegram answers are skipped. */
  private showStatus(text: string): void {
    this.wanted = text;
    this.enqueue('status_failed', async () => {
      const wanted = this.wanted;
      if (wanted === undefined || wanted === this.shown) return;
      if (this.statusId === undefined) {
        this.statusId = (await this.api.sendMessage(this.chatId, wanted)).message_id;
      } else {
        await this.api.editMessageText(this.chatId, this.statusId, wanted);
      }
      this.shown = wanted;
    });
  }

  private enqueue(event: string, call: () => Promise<void>): void {
    this.calls = this.calls.then(call).catch((err: unknown) => {
      this.log({ level: 'warn', event, chat: this.chatId, ...errorDetails(err) });
    });
  }
}

/** `running descriptive on flats.csv…` → `Running descriptive on flats.csv`. */
function sentence(text: string): string {
  const bare = text.trim().replace(/(…|\.\.\.)$/, '');
  return bare.charAt(0).toUpperCase() + bare.slice(1);
}
