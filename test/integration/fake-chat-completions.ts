/**
 * A local server speaking the OpenAI chat-completions wire format (node:http on 127.0.0.1), for the
 * tests of LLM generation: it answers from `replies` in order (a completion, an HTTP error, or a request
 * left hanging) and records every request it got.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage } from '../../src/generate/llm/provider.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { model: string; messages: ChatMessage[]; temperature: number };
}
export type FakeReply = { content: string } | { status: number; body: string } | 'hang';

export class FakeChatCompletions {
  readonly received: ReceivedRequest[] = [];
  replies: FakeReply[] = [];
  private hanging: ServerResponse[] = [];
  private arrivals: Array<() => void> = [];
  private readonly server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as ReceivedRequest['body'];
      this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      this.answer(res, body.model);
      for (const arrived of this.arrivals) arrived();
    });
  });

  /** The messages of each request, in order. */
  messages(): ChatMessage[][] {
    return this.received.map((request) => request.body.messages);
  }

  /** Resolves once `count` requests in all have been received (and answered or left hanging). */
  untilReceived(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.received.length < count) return;
        this.arrivals = this.arrivals.filter((arrived) => arrived !== check);
        resolve();
      };
      this.arrivals.push(check);
      check();
    });
  }

  /** Forgets the requests and the queued replies (between tests). */
  reset(): void {
    this.received.length = 0;
    this.replies = [];
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(res: ServerResponse, model: string): void {
    const reply = this.replies.shift() ?? { status: 500, body: '{"error":{"message":"no reply queued"}}' };
    if (reply === 'hang') {
      this.hanging.push(res);
      return;
    }
    if ('status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
      return;
    }
    const completion = {
      id: `chatcmpl-${this.received.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply.content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 },
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
  }
}
