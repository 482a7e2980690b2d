// scriptbox egress preload: loaded by NODE_OPTIONS=--import=/.scriptbox/egress.mjs in a sandbox granted
// network, before the runner. Node's fetch ignores HTTP_PROXY and http.get has no proxy support, so:
// - fetch: undici's ProxyAgent (npm undici, bound read-only at /.scriptbox/undici) becomes the
//   global dispatcher that Node's built-in fetch uses; it is loaded on the first fetch, so scripts that
//   never fetch do not pay for it;
// - http.globalAgent: requests go to the proxy in absolute form (`GET http://host/path`);
// - https.globalAgent: a CONNECT tunnel through the proxy, then TLS to the target with its name as SNI.
// Hosts on NO_PROXY (localhost) are reached directly. A refusal by the proxy is a connection error.
import { createRequire } from 'node:module';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { URL } from 'node:url';

const UNDICI = '/.scriptbox/undici';
const env = process.env;
const proxy = new URL(env.HTTP_PROXY || env.http_proxy || 'http://127.0.0.1:3128');
const proxyHost = proxy.hostname;
const proxyPort = Number(proxy.port || 80);
const noProxy = (env.NO_PROXY || env.no_proxy || '')
  .split(',')
  .map((entry) =>
    entry
      .trim()
      .toLowerCase()
      .replace(/^\*?\./, '.'),
  )
  .filter((entry) => entry !== '');

/** The host as a URL or a Host header writes it (IPv6 in brackets). */
function hostForUrl(host) {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function bypassed(host) {
  const name = String(host)
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return noProxy.some(
    (entry) =>
      entry === '*' || name === entry.replace(/^\./, '') || (entry.startsWith('.') && name.endsWith(entry)),
  );
}

function targetOf(options, defaultPort) {
  const host = options.hostname || options.host || 'localhost';
  return { host, port: Number(options.port || defaultPort) };
}

/** http: absolute-form requests sent to the proxy (each one checked by it, keep-alive or not). */
class ProxyHttpAgent extends http.Agent {
  addRequest(req, options) {
    const { host, port } = targetOf(options, 80);
    if (bypassed(host)) return super.addRequest(req, options);
    if (!/^[a-z]+:\/\//i.test(req.path)) {
      req.path = `http://${hostForUrl(host)}${port === 80 ? '' : `:${port}`}${req.path}`;
    }
    return super.addRequest(req, { ...options, host: proxyHost, hostname: proxyHost, port: proxyPort });
  }
}

/** Opens a CONNECT tunnel to host:port through the proxy; calls back with the raw socket or an error. */
function connectTunnel(host, port, callback) {
  const socket = net.connect(proxyPort, proxyHost);
  let head = Buffer.alloc(0);
  const fail = (err) => {
    socket.destroy();
    callback(err);
  };
  socket.once('error', fail);
  socket.once('connect', () => {
    const target = `${hostForUrl(host)}:${port}`;
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  });
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 65536) fail(new Error('the egress proxy sent an overlong answer'));
      return;
    }
    socket.off('data', onData);
    socket.off('error', fail);
    const response = head.subarray(0, end).toString('latin1');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);
    if (status !== 200) {
      const reason = /^x-scriptbox-refused:\s*(.*)$/im.exec(response)?.[1] ?? response.split('\r\n')[0];
      const err = new Error(
        `connect ECONNREFUSED ${target(host, port)}: the egress proxy refused it (${reason})`,
      );
      err.code = 'ECONNREFUSED';
      fail(err);
      return;
    }
    const rest = head.subarray(end + 4);
    if (rest.length > 0) socket.unshift(rest);
    callback(null, socket);
  };
  socket.on('data', onData);
}

function target(host, port) {
  return `${hostForUrl(host)}:${port}`;
}

/** https: a CONNECT tunnel, then TLS over it with the target's name (SNI and certificate check). */
class ProxyHttpsAgent extends https.Agent {
  createConnection(options, callback) {
    const { host, port } = targetOf(options, 443);
    if (bypassed(host)) return super.createConnection(options, callback);
    connectTunnel(host, port, (err, socket) => {
      if (err) return callback(err);
      const servername = options.servername || (net.isIP(host) ? undefined : host);
      const secure = tls.connect({ ...options, socket, ...(servername ? { servername } : {}) });
      callback(null, secure);
    });
    return undefined;
  }
}

http.globalAgent = new ProxyHttpAgent({ keepAlive: true });
https.globalAgent = new ProxyHttpsAgent({ keepAlive: true });

/**
 * undici's ProxyAgent for everything but NO_PROXY hosts, which get a plain Agent (undici's own
 * EnvHttpProxyAgent does the same but prints an "experimental" warning into the script's stderr).
 */
function proxyDispatcher() {
  const { Agent, Dispatcher, ProxyAgent } = createRequire(import.meta.url)(UNDICI);
  const tunnel = new ProxyAgent(proxy.href);
  const direct = new Agent();
  class EgressDispatcher extends Dispatcher {
    dispatch(options, handler) {
      const host = new URL(String(options.origin)).hostname;
      return (bypassed(host) ? direct : tunnel).dispatch(options, handler);
    }
    async close() {
      await Promise.all([tunnel.close(), direct.close()]);
    }
    async destroy(err) {
      await Promise.all([tunnel.destroy(err), direct.destroy(err)]);
    }
  }
  return new EgressDispatcher();
}

const builtinFetch = globalThis.fetch;
let dispatcherSet = false;
if (typeof builtinFetch === 'function') {
  globalThis.fetch = function fetch(input, init) {
    if (!dispatcherSet) {
      dispatcherSet = true;
      createRequire(import.meta.url)(UNDICI).setGlobalDispatcher(proxyDispatcher());
    }
    return builtinFetch(input, init);
  };
}
