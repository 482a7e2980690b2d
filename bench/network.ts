/**
 * The egress proxy's overhead for `npm run bench`: a 1 MiB download from a server on 127.0.0.1, side by
 * side in the same rounds:
 *   direct:        a host client (node:http) straight from the server;
 *   throughProxy:  the same client through an EgressProxy's Unix socket (absolute-form request, allowlist,
 *                  name resolved by the proxy, accounting): the proxy's own cost;
 *   sandboxSession: a Python session run granted the name fetching it with urllib, through the in-sandbox
 *                  relay and the proxy, vs
 *   sandboxSessionNoFetch: the same session running the same script minus the download (what a session
 *                  run costs anyway), so their difference is what the download costs inside a sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/index.js';
import { AllowList } from '../src/network/allowlist.js';
import { DEFAULT_NETWORK_LIMITS } from '../src/network/limits.js';
import { EgressProxy } from '../src/network/proxy.js';
import { Resolver } from '../src/network/resolver.js';
import { ratio } from './sessions.js';
import { interleave } from './stats.js';

const NAME = 'bench.scriptbox.test';
const BYTES = 1_048_576;

function fetchAll(opts: http.RequestOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => (received += chunk.length));
      res.on('end', () =>
        received === BYTES ? resolve() : reject(new Error(`got ${received} bytes, not ${BYTES}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function benchNetwork(rounds: number): Promise<Record<string, unknown>> {
  const payload = Buffer.alloc(BYTES, 'x');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': BYTES });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'scriptbox-bench-net-'));
  const socketPath = join(dir, 'egress.sock');
  const proxy = await EgressProxy.listen({
    socketPath,
    grant: {
      allow: AllowList.parse([`${NAME}:${port}`]),
      allowPrivate: true,
      limits: { ...DEFAULT_NETWORK_LIMITS, maxRequests: 1_000_000, maxBytesIn: Number.MAX_SAFE_INTEGER },
    },
    resolver: new Resolver([`${NAME}:127.0.0.1`]),
  });
  const engine = await createEngine({
    pool: { size: 0 },
    network: { allow: [`${NAME}:${port}`], allowPrivate: true, resolve: [`${NAME}:127.0.0.1`] },
  });
  const session = await engine.createSession({
    language: 'python',
    preload: ['urllib.request'],
    network: { allow: [`${NAME}:${port}`] },
  });
  const url = `http://${NAME}:${port}/big`;
  const fetchScript = `import urllib.request\nassert len(urllib.request.urlopen(${JSON.stringify(url)}).read()) == ${BYTES}\n`;
  const noFetchScript = `import urllib.request\nassert len(${JSON.stringify(url)}) > 0\n`;
  const sessionRun = async (source: string): Promise<void> => {
    const result = await session.run({ source });
    if (!result.ok) throw new Error(`session run failed: ${JSON.stringify(result.error)} ${result.stderr}`);
  };
  try {
    const results = await interleave(
      {
        direct: () => fetchAll({ host: '127.0.0.1', port, path: '/big', agent: false }),
        throughProxy: () =>
          fetchAll({ socketPath, path: url, headers: { host: `${NAME}:${port}` }, agent: false }),
        sandboxSession: () => sessionRun(fetchScript),
        sandboxSessionNoFetch: () => sessionRun(noFetchScript),
      },
      rounds,
    );
    const { direct, throughProxy, sandboxSession, sandboxSessionNoFetch } = results;
    return {
      bytes: BYTES,
      ...results,
      proxyRatioVsDirectP50: ratio(throughProxy, direct),
      proxyOverheadP50Ms: round((throughProxy?.p50Ms ?? NaN) - (direct?.p50Ms ?? NaN)),
      sandboxDownloadCostP50Ms: round((sandboxSession?.p50Ms ?? NaN) - (sandboxSessionNoFetch?.p50Ms ?? NaN)),
    };
  } finally {
    await session.close();
    await engine.close();
    await proxy.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
