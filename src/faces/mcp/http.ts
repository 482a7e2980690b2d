/**
 * MCP over streamable HTTP, mounted on a Fastify instance (`scriptbox serve` mounts it at /mcp). Stateful:
 * each MCP session (started by an initialize POST) gets its own McpServer and transport, bound to the
 * principal that started it; a request for someone else's session gets the same 404 as an unknown one.
 * DNS-rebinding protection: the Host header must name an allowed host (localhost by default), checked
 * port-agnostically here and exactly (host:port) by the SDK transport.
 */
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TemplateRegistry } from '../../generate/registry.js';
import type { Library } from '../../library/index.js';
import type { Principal, ServiceGuard } from '../../access/guard-types.js';
import type { ToolRegistry } from '../../tools/index.js';
import { createMcpServer, type ScriptboxMcpServer } from './server.js';

export const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;
export const DEFAULT_MCP_SESSION_IDLE_MS = 30 * 60_000;

export interface McpHttpOpts {
  registry: ToolRegistry;
  library: Library;
  templates: TemplateRegistry;
  /** Tokens, rate limits, quotas, audit. Without it every caller is `anonymous` (localhost setups). */
  guard?: ServiceGuard;
  /** The caller of a request (default: guard.authenticate(Authorization header)); a throw is the reply. */
  authenticate?: (request: FastifyRequest) => Principal;
  /** Default /mcp. */
  path?: string;
  /** Host names (no port) the Host header may carry (default localhost, 127.0.0.1, [::1]). */
  allowedHostnames?: readonly string[];
  /** Most MCP sessions open at once (default 64); more get 503. */
  maxSessions?: number;
  /** An MCP session unused this long is closed (default 30 minutes). */
  sessionIdleMs?: number;
  log?: (line: string) => void;
}

export interface McpHttpMount {
  readonly sessionCount: number;
  /** Closes every MCP session (also done by the Fastify instance's close()). Idempotent. */
  close(): Promise<void>;
}

interface McpSession {
  transport: StreamableHTTPServerTransport;
  server: ScriptboxMcpServer;
  owner: string;
  idle: NodeJS.Timeout | null;
}

const ANONYMOUS: Principal = { tokenId: null, name: 'anonymous' };
const ownerOf = (principal: Principal): string => `${principal.tokenId ?? ''}\n${principal.name}`;

/**
 * A refusal before the MCP transport sees the request (Host, session id, capacity), answered as the SDK's
 * transport answers its own refusals (an HTTP status, JSON-RPC -32000): these are transport answers, not
 * ScriptboxErrors, so the error table (errors.ts) does not apply; errors inside MCP requests follow it.
 */
function rpcError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

/** The hostname of a Host header (`[::1]:8080` -> `[::1]`), or null when it does not parse. */
function hostnameOf(host: string | undefined): string | null {
  if (host === undefined || host === '') return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

function portOf(host: string | undefined): string {
  try {
    return new URL(`http://${host ?? ''}`).port || '80';
  } catch {
    return '80';
  }
}

/** Mounts POST, GET and DELETE `path` on `app` (before app.listen/ready). */
export function mountMcpHttp(app: FastifyInstance, opts: McpHttpOpts): McpHttpMount {
  const path = opts.path ?? '/mcp';
  const allowed = opts.allowedHostnames ?? LOCALHOST_NAMES;
  const maxSessions = opts.maxSessions ?? 64;
  const idleMs = opts.sessionIdleMs ?? DEFAULT_MCP_SESSION_IDLE_MS;
  const sessions = new Map<string, McpSession>();
  const authenticate =
    opts.authenticate ??
    ((request: FastifyRequest): Principal =>
      opts.guard?.authenticate(request.headers.authorization) ?? ANONYMOUS);

  const end = async (id: string): Promise<void> => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    if (session.idle) clearTimeout(session.idle);
    await session.server.close();
  };

  const touch = (id: string, session: McpSession): void => {
    if (session.idle) clearTimeout(session.idle);
    session.idle = setTimeout(() => void end(id), idleMs);
    session.idle.unref();
  };

  const open = async (principal: Principal, request: FastifyRequest): Promise<McpSession> => {
    // The port the request came in on; Fastify's inject() has no socket port, the Host header has one.
    const port = request.socket.localPort ?? portOf(request.headers.host);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableDnsRebindingProtection: true,
      allowedHosts: allowed.flatMap((name) => [name, `${name}:${port}`]),
      onsessioninitialized: (id) => {
        sessions.set(id, session);
        touch(id, session);
      },
    });
    const server = createMcpServer({
      registry: opts.registry,
      library: opts.library,
      templates: opts.templates,
      principal,
      ...(opts.guard ? { guard: opts.guard } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    const session: McpSession = { transport, server, owner: ownerOf(principal), idle: null };
    transport.onclose = () => {
      if (transport.sessionId !== undefined) void end(transport.sessionId);
    };
    await server.connect(transport);
    return session;
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const hostname = hostnameOf(request.headers.host);
    if (hostname === null || !allowed.includes(hostname)) {
      await rpcError(reply, 403, `Invalid Host header: ${request.headers.host ?? '(none)'}`);
      return;
    }
    const principal = authenticate(request);
    const header = request.headers['mcp-session-id'];
    const id = Array.isArray(header) ? header[0] : header;
    const session = id === undefined ? undefined : sessions.get(id);
    if (id !== undefined && (!session || session.owner !== ownerOf(principal))) {
      await rpcError(reply, 404, 'Session not found: start a new one with initialize');
      return;
    }
    if (!session) {
      if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
        await rpcError(reply, 400, 'Bad Request: no valid MCP session id; start with an initialize request');
        return;
      }
      if (sessions.size >= maxSessions) {
        await rpcError(reply, 503, `Too many MCP sessions (${maxSessions}); try again later`);
        return;
      }
      const fresh = await open(principal, request);
      reply.hijack();
      await fresh.transport.handleRequest(request.raw, reply.raw, request.body);
      // Refused before it started (a bad Host): nothing else will ever close it.
      if (fresh.transport.sessionId === undefined) await fresh.server.close();
      return;
    }
    if (id !== undefined) touch(id, session);
    reply.hijack();
    await session.transport.handleRequest(request.raw, reply.raw, request.body);
  };

  app.post(path, handle);
  app.get(path, handle);
  app.delete(path, handle);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= Promise.allSettled([...sessions.keys()].map((id) => end(id))).then(() => undefined);
    return closing;
  };
  app.addHook('preClose', close);
  return {
    get sessionCount() {
      return sessions.size;
    },
    close,
  };
}
