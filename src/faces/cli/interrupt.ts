/** Ctrl-C (or SIGTERM) cancels the work in progress through an AbortSignal; a second one exits at once. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export class Interrupt {
  private readonly controller = new AbortController();
  /** 130 after SIGINT, 143 after SIGTERM, null when neither came. */
  exitCode: number | null = null;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const code = SIGNAL_EXIT[signal] ?? 130;
    if (this.exitCode !== null) process.exit(code);
    this.exitCode = code;
    this.controller.abort();
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
