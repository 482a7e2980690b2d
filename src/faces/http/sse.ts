/**
 * Server-Sent Events on a hijacked reply: `event: <name>` and `data: <JSON>` per message (JSON keeps
 * newlines and carriage returns of the output intact), a comment every few seconds so proxies keep the
 * connection open. Writes after the client left are dropped.
 */
import type { FastifyReply } from 'fastify';

const HEARTBEAT_MS = 15_000;

export class SseWriter {
  private readonly timer: NodeJS.Timeout;

  /** Takes the reply over from Fastify and sends the headers at once. */
  constructor(private readonly reply: FastifyReply) {
    reply.hijack();
    const res = reply.raw;
    res.on('error', () => undefined); // a client that left is not an error of ours
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.write(': scriptbox run\n\n');
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.timer.unref();
  }

  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    clearInterval(this.timer);
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }

  private write(text: string): void {
    const res = this.reply.raw;
    if (!res.destroyed && !res.writableEnded) res.write(text);
  }
}
