/** The typed tool registry and the built-in tools (zod schemas -> JSON Schema, MCP, OpenAI functions). */
export { createBuiltinTools, type BuiltinToolDeps, type BuiltinTools } from './builtin.js';
export { RunScriptOutputSchema } from './builtin-run.js';
export {
  DEFAULT_TOOL_TIMEOUT_MS,
  ToolCallOptsSchema,
  ToolRegistry,
  ToolRegistryOptsSchema,
  ToolTimeoutError,
  type ToolCallOpts,
  type ToolCallResult,
  type ToolInfo,
  type ToolRegistryOpts,
} from './registry.js';
export { decodeStrictArguments, toStrictSchema, type JsonSchema, type OpenAiTool } from './openai.js';
export { parseScriptParams, SCRIPT_PARAMS_HELP, type ScriptParams } from './script-params.js';
export { scriptTool, scriptToolName, syncScriptTools, type ScriptToolSync } from './script-tools.js';
export { createToolbox, type Toolbox, type ToolboxOpts } from './toolbox.js';
export {
  defineTool,
  type PreparedCall,
  type ScriptRef,
  type Tool,
  type ToolAnnotations,
  type ToolContext,
  type ToolDefinition,
  type ToolResult,
} from './types.js';
