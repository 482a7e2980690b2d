/**
 * What every connection handler of one EgressProxy shares: the grant, the resolver, the run's accounting,
 * the open sockets (so a limit or close() can end them all) and the audit events.
 */
import type net from 'node:net';
import type { AllowList } from './allowlist.js';
import type { NetworkLimits } from './limits.js';
import { RunAccounting, type LimitName } from './report.js';
import type { Resolver } from './resolver.js';

export interface EgressGrant {
  allow: AllowList;
  allowPrivate: boolean;
  limits: NetworkLimits;
}

export interface EgressEvent {
  destination: string;
  protocol: 'http' | 'connect' | 'socks5';
  decision: 'allowed' | 'refused';
  reason?: string;
  status?: number;
  bytesIn: number;
  bytesOut: number;
}

export class ProxyContext {
  accounting = new RunAccounting();
  closed = false;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly grant: EgressGrant,
    readonly resolver: Resolver,
    private readonly onEvent?: (event: EgressEvent) => void,
  ) {}

  get limits(): NetworkLimits {
    return this.grant.limits;
  }

  /** Why no new connection is accepted (closed, or a limit was hit this run), or null. */
  get stopReason(): string | null {
    if (this.closed) return 'the egress proxy is closing';
    return this.accounting.limit ? this.accounting.limit.message : null;
  }

  track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Destroys every open socket but `spare` (a client about to be told why, which the caller ends). */
  destroyAll(spare?: net.Socket): void {
    for (const socket of this.sockets) if (socket !== spare) socket.destroy();
  }

  beginRun(): void {
    this.accounting = new RunAccounting();
  }

  event(event: EgressEvent): void {
    try {
      this.onEvent?.(event);
    } catch {
      // an audit sink that throws must not break the proxy
    }
  }

  /** Records a refusal (report + event). */
  refuse(
    destination: string,
    protocol: EgressEvent['protocol'],
    reason: string,
    bytes = { in: 0, out: 0 },
  ): void {
    this.accounting.refuse(destination, reason);
    this.event({
      destination,
      protocol,
      decision: 'refused',
      reason,
      bytesIn: bytes.in,
      bytesOut: bytes.out,
    });
  }

  /** Counts one request; the refusal reason when that passes maxRequests (which stops the run's egress). */
  countRequest(client?: net.Socket): string | null {
    const stop = this.stopReason;
    if (stop) return stop;
    if (this.accounting.requests >= this.limits.maxRequests) {
      this.hitLimit(
        'maxRequests',
        `more than ${this.limits.maxRequests} network requests in this run (maxRequests); make fewer requests or raise network.limits.maxRequests`,
        client,
      );
      return this.accounting.limit?.message ?? 'request limit';
    }
    this.accounting.requests += 1;
    return null;
  }

  /** Counts `n` bytes received from upstream; false (and every connection closed) past maxBytesIn. */
  addIn(n: number): boolean {
    if (this.accounting.limit) return false;
    if (this.accounting.bytesIn + n > this.limits.maxBytesIn) {
      this.hitLimit(
        'maxBytesIn',
        `more than ${this.limits.maxBytesIn} bytes received from the network (maxBytesIn); fetch less or raise network.limits.maxBytesIn`,
      );
      return false;
    }
    this.accounting.bytesIn += n;
    return true;
  }

  /** Counts `n` bytes sent upstream; false (and every connection closed) past maxBytesOut. */
  addOut(n: number): boolean {
    if (this.accounting.limit) return false;
    if (this.accounting.bytesOut + n > this.limits.maxBytesOut) {
      this.hitLimit(
        'maxBytesOut',
        `more than ${this.limits.maxBytesOut} bytes sent to the network (maxBytesOut); send less or raise network.limits.maxBytesOut`,
      );
      return false;
    }
    this.accounting.bytesOut += n;
    return true;
  }

  private hitLimit(which: LimitName, message: string, spare?: net.Socket): void {
    if (!this.accounting.limit) this.accounting.limit = { which, message };
    // Deferred: the caller may still be inside a callback of a connection about to end.
    setImmediate(() => this.destroyAll(spare));
  }
}
