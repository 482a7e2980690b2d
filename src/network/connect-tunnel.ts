/**
 * Tunnels (HTTP CONNECT and SOCKS5 CONNECT): decide on the destination, connect upstream, tell the client,
 * then relay bytes both ways with accounting, holding the client's bytes until the first-bytes check
 * (first-bytes.ts) passes. Upstream bytes flow from the start, so server-first protocols work.
 */
import type net from 'node:net';
import { connectFirst, decide, destinationText, type FailureKind } from './decide.js';
import { checkFirstBytes, type TunnelTarget } from './first-bytes.js';
import type { EgressEvent, ProxyContext } from './proxy-context.js';

export interface TunnelReply {
  /** Tells the client the tunnel is open (`200 Connection established`, SOCKS reply 0). */
  ok(): void;
  /** Tells the client why not, then ends its connection. */
  refuse(reason: string, kind: FailureKind | 'limit'): void;
}

/** Opens a tunnel for `client` to `rawHost:port`, or refuses it; `head` holds client bytes already read. */
export async function openTunnel(
  ctx: ProxyContext,
  protocol: EgressEvent['protocol'],
  client: net.Socket,
  rawHost: string,
  port: number,
  head: Buffer,
  reply: TunnelReply,
): Promise<void> {
  const destination = destinationText(rawHost, port);
  const refuse = (reason: string, kind: FailureKind | 'limit'): void => {
    ctx.refuse(destination, protocol, reason);
    reply.refuse(reason, kind);
  };
  const stop = ctx.countRequest(client);
  if (stop) return refuse(stop, 'limit');
  const decision = await decide(ctx.grant, ctx.resolver, rawHost, port);
  if (!decision.ok) return refuse(decision.reason, decision.kind);
  let upstream: net.Socket;
  try {
    upstream = await connectFirst(decision.addresses, port, ctx.limits.connectTimeoutMs);
  } catch (error) {
    const kind = (error as { kind?: FailureKind }).kind ?? 'refused';
    return refuse(`${destination}: ${(error as Error).message}`, kind);
  }
  if (client.destroyed || ctx.stopReason) {
    upstream.destroy();
    if (ctx.stopReason) refuse(ctx.stopReason, 'limit');
    return;
  }
  ctx.track(upstream);
  reply.ok();
  relay(ctx, protocol, destination, decision.target, client, upstream, head);
}

/** Relays bytes both ways until either side ends, a check refuses, a limit is hit or it goes idle. */
function relay(
  ctx: ProxyContext,
  protocol: EgressEvent['protocol'],
  destination: string,
  target: TunnelTarget,
  client: net.Socket,
  upstream: net.Socket,
  head: Buffer,
): void {
  const bytes = { in: 0, out: 0 };
  let pending: Buffer | null = Buffer.alloc(0); // client bytes held until the first-bytes check passes
  let endReason: string | null = null;
  let refused = false;
  let finished = false;

  /** Ends the tunnel; `graceful` (both sides closed normally) lets written bytes drain. */
  const finish = (graceful = false): void => {
    if (finished) return;
    finished = true;
    if (!graceful) {
      client.destroy();
      upstream.destroy();
    }
    if (refused) return;
    if (endReason) ctx.accounting.refuse(destination, endReason);
    ctx.event({
      destination,
      protocol,
      decision: 'allowed',
      ...(endReason ? { reason: endReason } : {}),
      bytesIn: bytes.in,
      bytesOut: bytes.out,
    });
  };
  const idle = (): void => {
    endReason ??= `closed after ${ctx.limits.idleTimeoutMs} ms without traffic (idleTimeoutMs)`;
    finish();
  };
  client.setTimeout(ctx.limits.idleTimeoutMs, idle);
  upstream.setTimeout(ctx.limits.idleTimeoutMs, idle);

  const send = (to: net.Socket, from: net.Socket, chunk: Buffer): void => {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  };
  const toUpstream = (chunk: Buffer): void => {
    if (!ctx.addOut(chunk.length)) {
      endReason ??= ctx.accounting.limit?.message ?? 'limit';
      return finish();
    }
    bytes.out += chunk.length;
    send(upstream, client, chunk);
  };
  const fromClient = (chunk: Buffer): void => {
    if (finished) return;
    if (pending === null) return toUpstream(chunk);
    pending = Buffer.concat([pending, chunk]);
    const verdict = checkFirstBytes(pending, target);
    if (verdict.state === 'incomplete') return;
    if (verdict.state === 'refuse') {
      refused = true;
      ctx.refuse(destination, protocol, verdict.reason, bytes);
      return finish();
    }
    const held = pending;
    pending = null;
    toUpstream(held);
  };

  upstream.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (!ctx.addIn(chunk.length)) {
      endReason ??= ctx.accounting.limit?.message ?? 'limit';
      return finish();
    }
    bytes.in += chunk.length;
    send(client, upstream, chunk);
  });
  client.on('data', fromClient);
  // An end is passed on (after what was written drains); the tunnel is over when both sides have closed,
  // or at once when either fails.
  let open = 2;
  const onClose = (other: net.Socket) => (hadError: boolean) => {
    if (hadError) return finish();
    other.end();
    if (--open === 0) finish(true);
  };
  client.on('end', () => upstream.end());
  upstream.on('end', () => client.end());
  client.on('close', onClose(upstream));
  upstream.on('close', onClose(client));
  client.on('error', () => finish());
  upstream.on('error', () => finish());
  if (head.length > 0) fromClient(head);
  client.resume();
}
