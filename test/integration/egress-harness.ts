/**
 * What the egress tests share (egress-sandbox.test.ts, egress-lifecycle.test.ts): real HTTP/HTTPS servers
 * and a raw TCP service on 127.0.0.1, and an engine whose operator policy maps the test names there,
 * allows private addresses and trusts the test CA. Egress socket dirs go to a TMPDIR of the test file's
 * own, so whatever is left there is that file's leak alone.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { createEngine, type Engine, type EngineEvents, type RunResult } from '../../src/index.js';
import { useNetServers, type NetServers } from '../support/net-servers.js';

export interface EgressHarness {
  engine: Engine;
  servers: NetServers;
  /** A server-first raw TCP service: a greeting, then it answers `ping` with `pong`. */
  rawPort: number;
  /** The TMPDIR egress socket dirs go to. */
  socketsRoot: string;
  /** Every network:egress event of the engine. */
  egressEvents: Array<EngineEvents['network:egress']>;
  /** The grant most tests ask for: allowed.test on the HTTP, HTTPS and raw TCP ports. */
  grant(): { allow: string[] };
  url(scheme: 'http' | 'https', name: string, path: string): string;
  /** Egress socket dirs that exist now. */
  egressDirs(): string[];
  /**
   * Runs `work` and resolves once every sandbox created meanwhile is destroyed (a run's cleanup is not
   * awaited by run(): its sandbox:destroy event says it is over, proxy included).
   */
  untilDestroyed<T>(work: () => Promise<T>): Promise<T>;
}

/** Made in beforeAll, disposed in afterAll (which fails if an egress dir is left); call at top level. */
export function useEgressHarness(): () => EgressHarness {
  const servers = useNetServers(['allowed.test', 'other.test']);
  let harness: EgressHarness | null = null;
  let raw: net.Server | null = null;
  const previousTmp = process.env.TMPDIR;

  beforeAll(async () => {
    const socketsRoot = mkdtempSync(join(tmpdir(), 'scriptbox-egress-test-'));
    chmodSync(socketsRoot, 0o711); // sandbox uids traverse it to reach their socket
    process.env.TMPDIR = socketsRoot;
    const service = net.createServer((socket) => {
      socket.write('hello from raw\n');
      socket.on('data', (data) => {
        if (data.toString().startsWith('ping')) socket.end('pong\n');
      });
      socket.on('error', () => undefined);
    });
    raw = service;
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    const rawPort = (service.address() as net.AddressInfo).port;
    const s = servers();
    const grant = (): { allow: string[] } => ({
      allow: [s.http.port, s.https.port, rawPort].map((port) => `allowed.test:${port}`),
    });
    const engine = await createEngine({
      pool: { size: 1 },
      limits: { timeoutMs: 20_000 },
      network: {
        allow: [...grant().allow, `other.test:${s.http.port}`],
        allowPrivate: true,
        resolve: [s.resolve('allowed.test'), s.resolve('other.test')],
        trustCaFile: s.ca.caFile,
      },
    });
    const egressEvents: Array<EngineEvents['network:egress']> = [];
    engine.events.on('network:egress', (event) => egressEvents.push(event));
    harness = {
      engine,
      servers: s,
      rawPort,
      socketsRoot,
      egressEvents,
      grant,
      url: (scheme, name, path) => (scheme === 'http' ? s.http : s.https).url(name, path),
      egressDirs: () => readdirSync(socketsRoot).filter((name) => name.startsWith('scriptbox-egress-')),
      untilDestroyed: (work) => untilDestroyed(engine, work),
    };
  }, 60_000);

  afterAll(async () => {
    const h = harness;
    await h?.engine.close();
    await new Promise<void>((resolve) => (raw ? raw.close(() => resolve()) : resolve()));
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    if (h) {
      const left = h.egressDirs();
      rmSync(h.socketsRoot, { recursive: true, force: true });
      expect(left).toEqual([]);
    }
  });

  return () => {
    if (!harness) throw new Error('useEgressHarness(): the harness exists only inside tests');
    return harness;
  };
}

async function untilDestroyed<T>(engine: Engine, work: () => Promise<T>): Promise<T> {
  const created = new Set<string>();
  const destroyed = new Set<string>();
  let check = (): void => undefined;
  const onCreate = (event: EngineEvents['sandbox:create']): void => void created.add(event.sandboxId);
  const onDestroy = (event: EngineEvents['sandbox:destroy']): void => {
    destroyed.add(event.sandboxId);
    check();
  };
  engine.events.on('sandbox:create', onCreate);
  engine.events.on('sandbox:destroy', onDestroy);
  try {
    const result = await work();
    await new Promise<void>((resolve) => {
      check = () => {
        if ([...created].every((id) => destroyed.has(id))) resolve();
      };
      check();
    });
    return result;
  } finally {
    engine.events.off('sandbox:create', onCreate);
    engine.events.off('sandbox:destroy', onDestroy);
  }
}

/** A run that went through: no error, nothing on stderr (shown together when it fails). */
export function expectOk(result: RunResult): void {
  expect({ error: result.error, stderr: result.stderr }).toEqual({ error: null, stderr: '' });
}
