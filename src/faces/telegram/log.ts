/**
 * The bot's log for operators: one JSON object per line (time, level, event, details). The bot token is
 * replaced by `<token>` wherever it would appear (a download URL in an error message, say), so a log can
 * be shared. Users never see these lines; they get a message that says what to do.
 */

export interface LogEntry {
  level: 'error' | 'warn' | 'info';
  /** What happened, as a stable name: `handle_failed`, `send_failed`, `polling_started`, ... */
  event: string;
  [detail: string]: unknown;
}

export type BotLog = (entry: LogEntry) => void;

/** A log writing JSON lines to `writeLine` (stderr by default) with `token` redacted. */
export function jsonLinesLog(
  token: string,
  writeLine: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): BotLog {
  // The part after the colon is the secret; it is redacted on its own too.
  const secrets = [token, token.slice(token.indexOf(':') + 1)].filter((secret) => secret !== '');
  return (entry) => {
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry });
    writeLine(secrets.reduce((text, secret) => text.replaceAll(secret, '<token>'), line));
  };
}

/** An error's message and stack for a log entry (the stack is for operators only). */
export function errorDetails(err: unknown): { error: string; stack?: string } {
  if (err instanceof Error) return { error: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { error: String(err) };
}
