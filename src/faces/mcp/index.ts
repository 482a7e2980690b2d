/** The MCP face: stdio (`scriptbox mcp`) and streamable HTTP (mounted on Fastify at /mcp). */
export {
  DEFAULT_MCP_SESSION_IDLE_MS,
  LOCALHOST_NAMES,
  mountMcpHttp,
  type McpHttpMount,
  type McpHttpOpts,
} from './http.js';
export { SCRIPTS_URI, scriptUri, TEMPLATES_URI, templateUri } from './resources.js';
export { createMcpServer, MCP_INSTRUCTIONS, type McpServerOpts, type ScriptboxMcpServer } from './server.js';
export { serveMcpStdio, type McpStdioConnection, type McpStdioOpts } from './stdio.js';
export { CONFIRM_FIELD } from './tool-call.js';
