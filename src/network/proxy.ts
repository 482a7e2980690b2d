/**
 * The host egress proxy of one sandbox (one-shot run or session): a Unix socket that speaks SOCKS5 (first
 * byte 0x05) or HTTP/1.1 (absolute-form forward requests, and CONNECT), decides on every destination by
 * name (decide.ts) and accounts every byte and request per run. Nothing the client claims is trusted.
 *
 * Every refusal is recorded (report + audit event, with the reason) and reaches the client as a failed
 * connection, in the form its protocol has for that: a CONNECT gets a 403/502/504 status line and no
 * tunnel, SOCKS5 an error reply, and a plain HTTP forward request (WebSocket upgrades included) no answer
 * at all: its connection is destroyed (http-forward.ts). Only what is not a proxy request (origin-form,
 * an https:// target, an unparsable request) is answered, with 400.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { openTunnel } from './connect-tunnel.js';
import { destinationText } from './decide.js';
import { splitHostPort } from './host-name.js';
import { forwardRequest, forwardTarget, notProxyReason, refusalBytes } from './http-forward.js';
import { ProxyContext, type EgressEvent, type EgressGrant } from './proxy-context.js';
import type { NetworkReport } from './report.js';
import type { Resolver } from './resolver.js';
import { SOCKS_VERSION, serveSocks5 } from './socks5.js';

export type { EgressEvent, EgressGrant } from './proxy-context.js';

export interface EgressProxyOpts {
  socketPath: string;
  grant: EgressGrant;
  resolver: Resolver;
  /** The sandbox's host uid/gid: the socket is chowned to it and made 0600 (only when we are root). */
  owner?: { uid: number; gid: number };
  onEvent?: (event: EgressEvent) => void;
}

const STATUS_FOR_KIND = { forbidden: 403, limit: 403, unresolved: 502, refused: 502, timeout: 504 } as const;

export class EgressProxy {
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly server: net.Server,
    private readonly http: http.Server,
    private readonly ctx: ProxyContext,
  ) {}

  static async listen(opts: EgressProxyOpts): Promise<EgressProxy> {
    const ctx = new ProxyContext(opts.grant, opts.resolver, opts.onEvent);
    const httpServer = createHttpHandler(ctx);
    const server = net.createServer((socket) => accept(ctx, httpServer, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (opts.owner && process.getuid?.() === 0) {
      try {
        fs.chownSync(opts.socketPath, opts.owner.uid, opts.owner.gid);
        fs.chmodSync(opts.socketPath, 0o600);
      } catch (error) {
        server.close();
        throw error;
      }
    }
    return new EgressProxy(server, httpServer, ctx);
  }

  /** A session's next run: counters, statuses, refusals and limit start from zero. */
  beginRun(): void {
    this.ctx.beginRun();
  }

  /** What the current run did so far. */
  report(): NetworkReport {
    return this.ctx.accounting.report();
  }

  /** Closes the server and every connection; idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.ctx.closed = true;
      this.server.close(() => resolve());
      this.ctx.destroyAll();
      this.http.close();
    });
    return this.closing;
  }
}

function accept(ctx: ProxyContext, httpServer: http.Server, socket: net.Socket): void {
  ctx.track(socket);
  socket.on('error', () => socket.destroy());
  if (ctx.closed) return void socket.destroy();
  socket.setTimeout(ctx.limits.idleTimeoutMs, () => socket.destroy());
  socket.once('data', (first: Buffer) => {
    socket.pause();
    if (first[0] === SOCKS_VERSION) return serveSocks5(ctx, socket, first);
    socket.unshift(first);
    httpServer.emit('connection', socket);
    socket.resume();
  });
}

function createHttpHandler(ctx: ProxyContext): http.Server {
  const server = http.createServer({
    requireHostHeader: false, // checked per request (absolute-form target vs Host), see http-forward.ts
    keepAliveTimeout: ctx.limits.idleTimeoutMs,
    requestTimeout: 0,
  });
  server.timeout = ctx.limits.idleTimeoutMs;
  server.on('timeout', (socket: net.Socket) => socket.destroy());
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void forwardRequest(ctx, req, res);
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    socket.pause();
    const authority = splitHostPort(req.url ?? '');
    const refuseNow = (destination: string, reason: string): void => {
      ctx.refuse(destination, 'connect', reason);
      socket.end(refusalBytes(403, reason));
    };
    if (!authority) return refuseNow((req.url ?? '').slice(0, 200), 'CONNECT needs host:port');
    const host = authority.host.replace(/^\[|\]$/g, '');
    void openTunnel(ctx, 'connect', socket, host, authority.port, head, {
      ok: () => socket.write('HTTP/1.1 200 Connection established\r\n\r\n'),
      refuse: (reason, kind) => socket.end(refusalBytes(STATUS_FOR_KIND[kind], reason)),
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    const target = req.url ?? '';
    const url = forwardTarget(target);
    if (!url) {
      const reason = notProxyReason(target);
      ctx.refuse(target.slice(0, 200), 'http', reason);
      return void socket.end(refusalBytes(400, reason));
    }
    // A plain forward request like any other: refused without an answer (a connection error).
    const reason = 'protocol upgrades (WebSocket) go through CONNECT, not as plain proxy requests';
    ctx.refuse(destinationText(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80)), 'http', reason);
    socket.destroy();
  });
  server.on('clientError', (_error: Error, socket: net.Socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
