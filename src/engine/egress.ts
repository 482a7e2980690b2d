/**
 * Network for sandboxes: the operator's policy (EngineOpts.network), how a run's or session's request is
 * checked against it, and the one host egress proxy each granted sandbox gets (SandboxEgress): a Unix
 * socket in a fresh directory of its own (0711) under os.tmpdir(), owned by the sandbox's host uid, bound
 * into the sandbox; closed and removed with the sandbox, however its start or run ends.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvConfig } from '../config.js';
import { InvalidOptionsError, NetworkNotPermittedError } from '../errors.js';
import { narrowGrant, type NetworkGrantRequest, type NetworkPolicy } from '../network/policy.js';
import { EgressProxy, type EgressEvent, type EgressGrant } from '../network/proxy.js';
import type { NetworkReport } from '../network/report.js';
import type { EngineEvents } from './events.js';
import { Resolver } from '../network/resolver.js';
import { caBundleWith } from '../sandbox/egress-layout.js';

/** The operator's policy with what the environment adds (SCRIPTBOX_RESOLVE, SCRIPTBOX_NET_CA_FILE). */
export class NetworkAccess {
  readonly policy: Readonly<NetworkPolicy>;
  private readonly resolver: Resolver;
  /** System bundle + the operator's CA, read once; null without a trustCaFile. */
  readonly caBundle: string | null;

  constructor(policy: NetworkPolicy | undefined, env: EnvConfig) {
    const resolve = [...(policy?.resolve ?? []), ...(env.network?.resolve ?? [])];
    const trustCaFile = policy?.trustCaFile ?? env.network?.trustCaFile;
    this.policy = {
      ...policy,
      ...(resolve.length > 0 ? { resolve } : {}),
      ...(trustCaFile !== undefined ? { trustCaFile } : {}),
    };
    this.resolver = new Resolver(resolve);
    try {
      this.caBundle = trustCaFile === undefined ? null : caBundleWith(trustCaFile);
    } catch (err) {
      const issue = `network.trustCaFile: ${(err as Error).message}`;
      throw new InvalidOptionsError(issue, [issue]);
    }
  }

  /**
   * The grant for `request` (null: none asked). Throws NetworkNotPermittedError, before anything starts,
   * when the policy does not cover it, or when the engine runs unsandboxed.
   */
  grant(request: NetworkGrantRequest | undefined, unsafe: boolean): EgressGrant | null {
    if (request === undefined) return null;
    if (unsafe) {
      throw new NetworkNotPermittedError(
        'network: cannot grant network to a run without the sandbox: an unsafeNoSandbox engine has the ' +
          "host's own network unfiltered, so no allowlist could hold; create the engine without " +
          'unsafeNoSandbox to run scripts with network',
        { data: { uncovered: request.allow, allowed: [] } },
      );
    }
    return narrowGrant(this.policy, request);
  }

  /** A proxy for one sandbox with `grant` (not listening until open()); its decisions go to `emit`. */
  forSandbox(grant: EgressGrant, emit: (event: EngineEvents['network:egress']) => void): SandboxEgress {
    return new SandboxEgress(grant, this.resolver, emit);
  }
}

/** The egress proxy of one sandbox: opened once its host uid is known, closed with the sandbox. */
export class SandboxEgress {
  private proxy: EgressProxy | null = null;
  private dir: string | null = null;
  private closing: Promise<void> | null = null;
  /** The run under way and the session, named in each event. */
  private ids: { runId?: string; sessionId?: string } = {};
  /** The run's own listener (RunOpts.onNetwork), if it has one. */
  private listener: ((event: EgressEvent) => void) | undefined;

  constructor(
    private readonly grant: EgressGrant,
    private readonly resolver: Resolver,
    private readonly emit: (event: EngineEvents['network:egress']) => void,
  ) {}

  private readonly onEvent = (event: EgressEvent): void => {
    this.emit({ ...event, ...this.ids });
    try {
      this.listener?.(event);
    } catch (err) {
      process.stderr.write(`scriptbox: an onNetwork listener threw: ${(err as Error).message}\n`);
    }
  };

  /**
   * Makes the socket's directory and starts the proxy on it; returns the socket's host path. `owner`: the
   * sandbox's host uid when we are root (the socket is theirs alone), else null. Cleans up if it fails.
   */
  async open(owner: { uid: number; gid: number } | null): Promise<string> {
    if (this.closing !== null) throw new Error('this egress proxy is closed');
    this.dir = mkdtempSync(join(tmpdir(), 'scriptbox-egress-'));
    try {
      chmodSync(this.dir, 0o711);
      const socketPath = join(this.dir, `${randomBytes(8).toString('hex')}.sock`);
      this.proxy = await EgressProxy.listen({
        socketPath,
        grant: this.grant,
        resolver: this.resolver,
        ...(owner !== null ? { owner } : {}),
        onEvent: this.onEvent,
      });
      return socketPath;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** The host directory holding the socket (null before open() and after close()). */
  get socketDir(): string | null {
    return this.closing === null ? this.dir : null;
  }

  /**
   * A run begins (a session's next one: counters start from zero); its events name `runId` and go to
   * `listener` too.
   */
  beginRun(runId: string, sessionId?: string, listener?: (event: EgressEvent) => void): void {
    this.ids = { runId, ...(sessionId !== undefined ? { sessionId } : {}) };
    this.listener = listener;
    this.proxy?.beginRun();
  }

  report(): NetworkReport | null {
    return this.proxy?.report() ?? null;
  }

  /** Closes the proxy and every connection, removes the directory. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.proxy?.close();
      } finally {
        if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
      }
    })();
    return this.closing;
  }
}
