/**
 * What a sandbox granted network gets besides the usual layout (see bwrap.ts): the host egress proxy's
 * Unix socket at EGRESS_SOCKET, the relay runner that listens on 127.0.0.1:EGRESS_PORT in front of it, the
 * proxy variables, Node's preload (runners/egress.mjs with npm undici bound beside it), and the CA
 * certificates to trust. The sandbox still has no DNS (no resolv.conf, nsswitch `hosts: files`): the proxy
 * resolves names. Pure but for finding undici and reading CA files.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { RUNNER_DIR, type Bind } from './bwrap.js';

export const EGRESS_PORT = 3128;
/** Where the proxy's socket is bound inside the sandbox. */
export const EGRESS_SOCKET = `${RUNNER_DIR}/egress.sock`;
/** The relay runner (runners/egress_bridge.py) and Node's preload (runners/egress.mjs). */
export const EGRESS_BRIDGE_FILE = 'egress_bridge.py';
export const EGRESS_PRELOAD_FILE = 'egress.mjs';
/** Where npm undici's package dir is bound (egress.mjs loads it from there). */
export const UNDICI_DIR = `${RUNNER_DIR}/undici`;
/** The CA bundle given as a data file when the operator trusts a CA of their own. */
export const CA_BUNDLE = `${RUNNER_DIR}/ca-bundle.pem`;
const SYSTEM_CERTS_DIR = '/etc/ssl/certs';
const SYSTEM_BUNDLE = `${SYSTEM_CERTS_DIR}/ca-certificates.crt`;

/** Host path of npm undici's package directory (a dependency of scriptbox). */
export function undiciHostDir(): string {
  return dirname(createRequire(import.meta.url).resolve('undici/package.json'));
}

/**
 * The CA bundle for sandboxes when the operator trusts `trustCaFile` too: the system bundle (when the host
 * has one) followed by that file. Throws (with the path) when the file cannot be read or holds no PEM.
 */
export function caBundleWith(trustCaFile: string): string {
  let extra: string;
  try {
    extra = readFileSync(trustCaFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the network CA file ${trustCaFile}: ${(err as Error).message}`);
  }
  if (!extra.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(
      `the network CA file ${trustCaFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  let system = '';
  try {
    system = readFileSync(SYSTEM_BUNDLE, 'utf8');
  } catch {
    // no system bundle on this host: the operator's CA alone
  }
  return `${system}${system.endsWith('\n') || system === '' ? '' : '\n'}${extra}`;
}

/** The parts of a granted sandbox's layout; `hostSocket` is the proxy's socket on the host. */
export interface EgressLayout {
  binds: Bind[];
  /** Host directories to open and bind read-only from their fd (bwrap.ts dirFds), by sandbox path. */
  dirs: Array<{ dest: string; hostPath: string }>;
  dataFiles: Array<{ dest: string; content: string }>;
  env: Record<string, string>;
  /** The sandbox's command with the relay in front: `python -I -S bridge PORT SOCKET -- command...`. */
  command(command: readonly string[]): string[];
}

export function egressLayout(opts: {
  hostSocket: string;
  /** The system bundle plus the operator's CA (caBundleWith), or null: the system bundle alone. */
  caBundle: string | null;
  /** The Python interpreter that runs the relay. */
  python: string;
  /** The runtime's own env (a NODE_OPTIONS there is kept after the preload). */
  runtimeEnv: Readonly<Record<string, string>>;
  /** Runner sources by file name (loadRunners). */
  runners: ReadonlyMap<string, string>;
}): EgressLayout {
  const proxy = `http://127.0.0.1:${EGRESS_PORT}`;
  const bundle = opts.caBundle === null ? SYSTEM_BUNDLE : CA_BUNDLE;
  const nodeOptions = [`--import=${RUNNER_DIR}/${EGRESS_PRELOAD_FILE}`, opts.runtimeEnv.NODE_OPTIONS ?? '']
    .join(' ')
    .trim();
  const env: Record<string, string> = {
    http_proxy: proxy,
    HTTP_PROXY: proxy,
    https_proxy: proxy,
    HTTPS_PROXY: proxy,
    all_proxy: `socks5h://127.0.0.1:${EGRESS_PORT}`,
    ALL_PROXY: `socks5h://127.0.0.1:${EGRESS_PORT}`,
    no_proxy: 'localhost,127.0.0.1,::1',
    NO_PROXY: 'localhost,127.0.0.1,::1',
    NODE_OPTIONS: nodeOptions,
    SSL_CERT_FILE: bundle,
    REQUESTS_CA_BUNDLE: bundle,
    CURL_CA_BUNDLE: bundle,
    ...(opts.caBundle !== null ? { NODE_EXTRA_CA_CERTS: CA_BUNDLE } : {}),
  };
  const dataFiles = [EGRESS_BRIDGE_FILE, EGRESS_PRELOAD_FILE].map((name) => ({
    dest: `${RUNNER_DIR}/${name}`,
    content: opts.runners.get(name) ?? '',
  }));
  if (opts.caBundle !== null) dataFiles.push({ dest: CA_BUNDLE, content: opts.caBundle });
  return {
    binds: [
      { src: opts.hostSocket, dest: EGRESS_SOCKET },
      { src: SYSTEM_CERTS_DIR, dest: SYSTEM_CERTS_DIR, optional: true },
    ],
    dirs: [{ dest: UNDICI_DIR, hostPath: undiciHostDir() }],
    dataFiles,
    env,
    command: (command) => [
      opts.python,
      '-I',
      '-S',
      `${RUNNER_DIR}/${EGRESS_BRIDGE_FILE}`,
      String(EGRESS_PORT),
      EGRESS_SOCKET,
      '--',
      ...command,
    ],
  };
}
