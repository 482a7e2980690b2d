/**
 * Plain HTTP through the proxy: absolute-form requests (`GET http://host/path HTTP/1.1`) only, the Host
 * header naming the same host and port, hop-by-hop and Proxy-* headers stripped both ways. Each request
 * (also on a keep-alive connection) is decided on and counted on its own; a redirect is the client's next
 * request, decided on again.
 *
 * A request that is refused (by policy or a limit) or fails (a name that does not resolve, an upstream that
 * refuses, times out or breaks before answering) is never answered: the client connection is destroyed,
 * keep-alive or not, so every client (urllib, requests, curl, Node) sees a connection error and no script
 * can take a refusal page for the data it asked for. The refusal is recorded all the same (the run's
 * report and an audit event, with the reason). Only requests that are not proxy requests at all
 * (origin-form, or an https:// target, which goes through CONNECT) get an answer: 400, with the reason.
 */
import http from 'node:http';
import type net from 'node:net';
import { connectFirst, decide, destinationText } from './decide.js';
import { hostValueMatches, normalizeHost } from './host-name.js';
import type { ProxyContext } from './proxy-context.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** rawHeaders without hop-by-hop headers, Proxy-* headers and those named in Connection. */
export function endToEndHeaders(raw: readonly string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2)
    if ((raw[i] ?? '').toLowerCase() === 'connection')
      for (const token of (raw[i + 1] ?? '').split(',')) named.add(token.trim().toLowerCase());
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name) || name.startsWith('proxy-')) continue;
    out.push(raw[i] ?? '', raw[i + 1] ?? '');
  }
  return out;
}

/** A header-safe one-line version of `reason`. */
function headerText(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
}

/** Answers a request that is not a proxy request at all: 400, `X-Scriptbox-Refused: <reason>`, a text body. */
function writeBadRequest(res: http.ServerResponse, reason: string): void {
  const body = `scriptbox egress proxy: not a proxy request: ${reason}\n`;
  res.writeHead(400, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-scriptbox-refused': headerText(reason),
  });
  res.end(body);
}

/** The absolute-form http:// target of a request line, or null (origin-form, https://, unparsable). */
export function forwardTarget(target: string): URL | null {
  if (!/^http:\/\//i.test(target)) return null;
  try {
    return new URL(target);
  } catch {
    return null;
  }
}

/** Why a request that is not an absolute-form http:// request is not a proxy request. */
export function notProxyReason(target: string): string {
  return /^https:/i.test(target)
    ? 'https URLs go through CONNECT, not as plain proxy requests'
    : 'send absolute-form requests (GET http://host/path) to the proxy';
}

/** The raw bytes of a refusal on a bare socket (CONNECT, a non-proxy upgrade), then the socket is ended. */
export function refusalBytes(status: number, reason: string): string {
  const text =
    status === 400
      ? 'Bad Request'
      : status === 403
        ? 'Forbidden'
        : status === 504
          ? 'Gateway Timeout'
          : status === 502
            ? 'Bad Gateway'
            : 'Error';
  const body = `scriptbox egress proxy refused: ${reason}\n`;
  return (
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Scriptbox-Refused: ${headerText(reason)}\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}

function headBytes(raw: readonly string[], firstLine: string): number {
  let n = firstLine.length + 4;
  for (let i = 0; i < raw.length; i += 2) n += (raw[i] ?? '').length + (raw[i + 1] ?? '').length + 4;
  return n;
}

/** Forwards one plain HTTP request, or refuses it by destroying the client connection. */
export async function forwardRequest(
  ctx: ProxyContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const target = req.url ?? '';
  const url = forwardTarget(target);
  if (!url) {
    const reason = notProxyReason(target);
    ctx.refuse(target.slice(0, 200), 'http', reason);
    req.resume();
    return writeBadRequest(res, reason);
  }
  const port = Number(url.port || 80);
  const rawHost = url.hostname.replace(/^\[|\]$/g, '');
  const destination = destinationText(rawHost, port);
  /** Records the refusal, then closes the client connection without an answer: a connection error. */
  const refuse = (reason: string): void => {
    ctx.refuse(destination, 'http', reason);
    req.socket.destroy();
  };
  const hosts = req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i]?.toLowerCase() === 'host');
  const normal = normalizeHost(rawHost);
  if (hosts.length > 1) return refuse('more than one Host header');
  if (
    normal &&
    req.headers.host !== undefined &&
    !hostValueMatches(req.headers.host, { host: normal.host, port }, 80)
  )
    return refuse(`Host ${req.headers.host} differs from the request target ${destination}`);
  const stop = ctx.countRequest();
  if (stop) return refuse(stop);
  const decision = await decide(ctx.grant, ctx.resolver, rawHost, port);
  if (!decision.ok) return refuse(decision.reason);
  let upstream: net.Socket;
  try {
    upstream = await connectFirst(decision.addresses, port, ctx.limits.connectTimeoutMs);
  } catch (error) {
    return refuse(`${destination}: ${(error as Error).message}`);
  }
  if (req.socket.destroyed || ctx.stopReason) {
    upstream.destroy();
    return void req.socket.destroy();
  }
  ctx.track(upstream);
  relayExchange(ctx, req, res, upstream, url, destination);
}

function relayExchange(
  ctx: ProxyContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: net.Socket,
  url: URL,
  destination: string,
): void {
  const bytes = { in: 0, out: 0 };
  let status: number | undefined;
  let endReason: string | null = null;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    if (endReason) ctx.accounting.refuse(destination, endReason);
    ctx.event({
      destination,
      protocol: 'http',
      decision: 'allowed',
      ...(endReason ? { reason: endReason } : {}),
      ...(status !== undefined ? { status } : {}),
      bytesIn: bytes.in,
      bytesOut: bytes.out,
    });
  };
  /** Ends the exchange on a failure: both connections destroyed, so the client sees a connection error. */
  const fail = (reason: string): void => {
    endReason ??= reason;
    upstream.destroy();
    req.socket.destroy();
    finish();
  };
  const limitHit = (): void => fail(ctx.accounting.limit?.message ?? 'limit');
  const headers = endToEndHeaders(req.rawHeaders);
  if (req.headers.host === undefined) headers.push('Host', url.host);
  const path = `${url.pathname}${url.search}`;
  const out = headBytes(headers, `${req.method} ${path} HTTP/1.1`);
  if (!ctx.addOut(out)) return limitHit();
  bytes.out += out;
  upstream.setTimeout(ctx.limits.idleTimeoutMs, () =>
    fail(`closed after ${ctx.limits.idleTimeoutMs} ms without traffic (idleTimeoutMs)`),
  );
  const upReq = http.request({
    method: req.method,
    path,
    headers,
    setHost: false,
    // No agent: with createConnection and no agent, Node uses exactly this (already checked) socket.
    createConnection: () => upstream,
  });
  upReq.on('error', (error) => fail(`upstream error: ${error.message}`));
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    if (!ctx.addOut(chunk.length)) return limitHit();
    bytes.out += chunk.length;
    if (!upReq.write(chunk)) {
      req.pause();
      upReq.once('drain', () => req.resume());
    }
  });
  req.on('end', () => upReq.end());
  req.on('aborted', () => fail('the client went away'));
  upReq.on('response', (upRes: http.IncomingMessage) => {
    status = upRes.statusCode ?? 0;
    ctx.accounting.status(status);
    const resHeaders = endToEndHeaders(upRes.rawHeaders);
    const head = headBytes(resHeaders, `HTTP/1.1 ${status} ${upRes.statusMessage ?? ''}`);
    if (!ctx.addIn(head)) return limitHit();
    bytes.in += head;
    res.writeHead(status, upRes.statusMessage ?? '', resHeaders);
    upRes.on('data', (chunk: Buffer) => {
      if (done) return;
      if (!ctx.addIn(chunk.length)) return limitHit();
      bytes.in += chunk.length;
      if (!res.write(chunk)) {
        upRes.pause();
        res.once('drain', () => upRes.resume());
      }
    });
    upRes.on('end', () => {
      res.end();
      upstream.end();
      finish();
    });
    upRes.on('error', () => fail('upstream connection broke'));
  });
  res.on('close', () => {
    if (!done) fail('the client went away');
  });
}
