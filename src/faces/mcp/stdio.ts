/**
 * MCP over stdio for one local client: stdout carries the protocol and nothing else, notes go to stderr.
 * Resolves when the client goes away (stdin ends) or the returned stop() is called.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer, type McpServerOpts } from './server.js';

export interface McpStdioOpts extends Omit<McpServerOpts, 'guard'> {
  stdin?: Readable;
  stdout?: Writable;
}

export interface McpStdioConnection {
  /** Settles once the connection is over (stdin ended, the transport closed, or stop()). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function serveMcpStdio(opts: McpStdioOpts): Promise<McpStdioConnection> {
  const { stdin = process.stdin, stdout = process.stdout, ...serverOpts } = opts;
  const server = createMcpServer(serverOpts);
  const transport = new StdioServerTransport(stdin, stdout);
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const stop = async (): Promise<void> => {
    stdin.off('end', onEnd);
    await server.close();
    finish();
  };
  const onEnd = (): void => void stop();
  transport.onclose = () => finish();
  stdin.once('end', onEnd);
  await server.connect(transport);
  return { done, stop };
}
