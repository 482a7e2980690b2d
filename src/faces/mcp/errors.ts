/**
 * How the MCP face reports errors, by the one table in errors.ts. Inside tools/call every error is a tool
 * result with isError, its text `CODE: message`: the model reads it and can correct its call. Requests
 * without a result to carry one (resources/read) answer a JSON-RPC error: the table's `mcp` code, the
 * message, and `data` with the ScriptboxError's code and data. Messages are in MCP's words: limits as the
 * tools take them (`limits.timeoutMs`), where to look as a tool or resource.
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ENGINE_WORDS, inFaceWords, type FaceWords } from '../../engine/face-words.js';
import { ERROR_TABLE, ScriptboxError } from '../../errors.js';

export const MCP_WORDS: FaceWords = {
  ...ENGINE_WORDS,
  see: (see) =>
    see.what === 'templates'
      ? 'the list_templates tool'
      : see.what === 'template'
        ? `the resource scriptbox://templates/${see.id}`
        : 'the search_scripts tool',
};

/** The text of a tool result with isError for anything a tool call threw. */
export function toolErrorText(err: unknown): string {
  if (err instanceof ScriptboxError) return `${err.code}: ${inFaceWords(err, MCP_WORDS).message}`;
  if (err instanceof Error && err.name === 'AbortError') return 'cancelled by the client';
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

/** The JSON-RPC error for anything a request other than tools/call threw (the SDK sends its code and data). */
export function toMcpError(err: unknown): McpError {
  if (err instanceof McpError) return err;
  if (err instanceof ScriptboxError) {
    const { message } = inFaceWords(err, MCP_WORDS);
    return new McpError(ERROR_TABLE[err.code].mcp, message, { ...err.data, code: err.code });
  }
  return new McpError(ERROR_TABLE.INTERNAL.mcp, 'internal error', { code: 'INTERNAL' });
}
