/**
 * The MCP server (official SDK McpServer): every registry tool with its input and output schemas and
 * annotations, kept in line with the registry as script tools come and go (clients get list_changed);
 * library scripts and templates as resources. One server serves one client connection: stdio has one,
 * streamable HTTP builds one per MCP session (see http.ts).
 */
import { readFileSync } from 'node:fs';
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { TemplateRegistry } from '../../generate/registry.js';
import type { Library } from '../../library/index.js';
import type { Principal, ServiceGuard } from '../../access/guard-types.js';
import type { Tool, ToolRegistry } from '../../tools/index.js';
import { registerResources } from './resources.js';
import { callTool, mcpInputSchema } from './tool-call.js';

export interface McpServerOpts {
  registry: ToolRegistry;
  library: Library;
  templates: TemplateRegistry;
  /** Who the client is: a token's principal over HTTP; default the local user (the library's who). */
  principal?: Principal;
  /** Rate limits, quotas and audit (HTTP); absent over stdio. */
  guard?: ServiceGuard;
  /** Where notes go (stderr over stdio: stdout carries the protocol). */
  log?: (line: string) => void;
}

export interface ScriptboxMcpServer {
  readonly server: McpServer;
  connect(transport: Transport): Promise<void>;
  /** Stops following the registry and closes the connection. Idempotent. */
  close(): Promise<void>;
}

export const MCP_INSTRUCTIONS =
  'scriptbox runs untrusted scripts (python, javascript, typescript, bash) in a sandbox with hard limits ' +
  '(no network). Use run_code for one-off runs, sessions (session_create, session_upload, session_run) to ' +
  'work on files across runs, check_code to check without running, generate_from_template/list_templates ' +
  'for ready-made scripts, and the library tools to keep scripts. A failing script is a result (ok false, ' +
  'error.kind), not a tool error. Images (figures, charts, image files written to out/) come as image ' +
  'blocks and other small out/ files as embedded resources (their bytes are left out of the JSON). Saved ' +
  'scripts are resources at scriptbox://scripts/{name}.';

function packageVersion(): string {
  // src/faces/mcp/ and dist/faces/mcp/ are both three levels below package.json.
  const parsed: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const version: unknown =
    typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'version') : undefined;
  return typeof version === 'string' ? version : '0.0.0';
}

export function createMcpServer(opts: McpServerOpts): ScriptboxMcpServer {
  const { registry } = opts;
  const server = new McpServer(
    { name: 'scriptbox', version: packageVersion() },
    {
      capabilities: { tools: { listChanged: true }, resources: { listChanged: true } },
      instructions: MCP_INSTRUCTIONS,
    },
  );
  const registered = new Map<string, { tool: Tool; handle: RegisteredTool }>();
  const principal = opts.principal ?? { tokenId: null, name: opts.library.who };
  const deps = { ...opts, principal, server };

  const register = (tool: Tool): RegisteredTool =>
    server.registerTool(
      tool.name,
      {
        ...(tool.title !== undefined ? { title: tool.title } : {}),
        description: tool.description,
        inputSchema: mcpInputSchema(tool),
        outputSchema: tool.output,
        annotations: {
          readOnlyHint: tool.annotations.readOnly === true,
          destructiveHint: tool.annotations.destructive === true,
          idempotentHint: tool.annotations.idempotent === true,
          openWorldHint: tool.annotations.openWorld === true,
        },
      },
      (args, extra) => callTool(deps, tool, args, extra),
    );

  /** Registers new tools, re-registers replaced ones, removes gone ones. */
  const sync = (): void => {
    const current = new Map(registry.all().map((tool) => [tool.name, tool]));
    for (const [name, entry] of registered) {
      if (current.get(name) === entry.tool) continue;
      entry.handle.remove();
      registered.delete(name);
    }
    for (const [name, tool] of current) {
      if (!registered.has(name)) registered.set(name, { tool, handle: register(tool) });
    }
  };
  sync();
  registerResources(server, opts.library, opts.templates);
  const unsubscribe = registry.onChange(() => {
    sync();
    if (server.isConnected()) server.sendResourceListChanged();
  });

  let closing: Promise<void> | null = null;
  return {
    server,
    connect: (transport) => server.connect(transport),
    close: () => {
      closing ??= (async () => {
        unsubscribe();
        await server.close();
      })();
      return closing;
    },
  };
}
