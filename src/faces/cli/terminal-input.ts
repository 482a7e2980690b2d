/**
 * Lines typed (or piped) into the terminal chat, joined into chat messages: one line is one message,
 * except that a line opening a ``` fence continues the message until a line closes it, so code can be
 * sent with "update code <name> to ```python" and the lines that follow.
 */
export class MessageJoiner {
  private lines: string[] = [];

  /** Adds a line; returns the message it completes, or null while a fence is open. */
  push(line: string): string | null {
    this.lines.push(line);
    const message = this.lines.join('\n');
    if ((message.match(/```/g)?.length ?? 0) % 2 === 1) return null;
    this.lines = [];
    return message;
  }

  /** What is left at the end of input (a fence never closed), or null. */
  rest(): string | null {
    const message = this.lines.join('\n');
    this.lines = [];
    return message === '' ? null : message;
  }
}
