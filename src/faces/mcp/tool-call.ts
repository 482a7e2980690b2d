/**
 * One MCP tools/call: confirm destructive tools with the user (elicitation, or an explicit `confirm: true`
 * from clients that cannot ask), admit metered tools through the service guard, run the tool through the
 * registry (validation, timeout, cancellation by the client), charge CPU, audit, and answer with the
 * structured output plus readable text, and its images and files as image and resource blocks (their
 * bytes then left out of the structured output: see tools/media.ts). Failures are tool results with isError, never protocol errors
 * (text `CODE: message`, see errors.ts).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Principal, ServiceGuard } from '../../access/guard-types.js';
import type { EgressEvent } from '../../network/proxy.js';
import type { Tool, ToolRegistry } from '../../tools/index.js';
import { splitMedia } from '../../tools/media.js';
import { toolErrorText } from './errors.js';
import { mediaBlocks } from './media-blocks.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export const CONFIRM_FIELD = 'confirm';

export const ConfirmSchema = z
  .boolean()
  .optional()
  .describe(
    'Only for clients without elicitation: true once the user agreed to this change (clients that can ask ' +
      'the user are asked instead)',
  );

export interface ToolCallDeps {
  server: McpServer;
  registry: ToolRegistry;
  principal: Principal;
  guard?: ServiceGuard;
  log?: (line: string) => void;
}

/** The input schema a destructive tool has over MCP: its own plus `confirm`. */
export function mcpInputSchema(tool: Tool): z.ZodObject {
  return tool.annotations.destructive === true
    ? tool.input.safeExtend({ [CONFIRM_FIELD]: ConfirmSchema })
    : tool.input;
}

const failure = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** Whether the client takes form elicitation (an empty `elicitation: {}` means forms, for compatibility). */
function asksForms(server: McpServer): boolean {
  const elicitation = server.server.getClientCapabilities()?.elicitation;
  if (!elicitation) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

/** Null when the user agreed, else why the tool was not run. */
async function confirmation(
  deps: ToolCallDeps,
  tool: Tool,
  input: Record<string, unknown>,
  confirmed: unknown,
  extra: ToolExtra,
): Promise<string | null> {
  const target = typeof input['name'] === 'string' ? ` ${input['name']}` : '';
  if (asksForms(deps.server)) {
    try {
      const answer = await deps.server.server.elicitInput(
        {
          mode: 'form',
          message: `${tool.title ?? tool.name}${target}: ${tool.description} Go ahead?`,
          requestedSchema: {
            type: 'object',
            properties: {
              confirm: { type: 'boolean', title: 'Confirm', description: `Run ${tool.name}${target}` },
            },
            required: ['confirm'],
          },
        },
        { relatedRequestId: extra.requestId, signal: extra.signal },
      );
      if (answer.action === 'accept' && answer.content?.['confirm'] === true) return null;
      const why =
        answer.action === 'accept'
          ? 'did not confirm'
          : answer.action === 'decline'
            ? 'declined'
            : 'cancelled';
      return `${tool.name}${target} was not run: the user ${why} (nothing changed).`;
    } catch (err) {
      return `${tool.name}${target} was not run: asking the user for confirmation failed (${toolErrorText(err)}).`;
    }
  }
  if (confirmed === true) return null;
  return (
    `${tool.name}${target} was not run: it changes or deletes data and this client cannot ask the user ` +
    `(no elicitation support). Ask the user, then call it again with "${CONFIRM_FIELD}": true.`
  );
}

export async function callTool(
  deps: ToolCallDeps,
  tool: Tool,
  args: Record<string, unknown>,
  extra: ToolExtra,
): Promise<CallToolResult> {
  const { registry, principal, guard } = deps;
  const destructive = tool.annotations.destructive === true;
  const { [CONFIRM_FIELD]: confirmed, ...rest } = args;
  const input = destructive ? rest : args;
  const target = typeof input['name'] === 'string' ? input['name'] : tool.name;
  const audit = (details: Record<string, unknown>): void =>
    guard?.audit(principal, `mcp.${tool.name}`, target, details);
  try {
    if (destructive) {
      const refusal = await confirmation(deps, tool, input, confirmed, extra);
      if (refusal !== null) {
        audit({ ok: false, refused: refusal });
        return failure(refusal);
      }
    }
    const { network } = tool.prepare(input);
    if (network.length > 0) guard?.admitNetwork(principal, network);
    if (tool.metered) guard?.admitRun(principal);
    const onNetwork = guard
      ? ({ destination, decision, ...details }: EgressEvent): void =>
          guard.audit(principal, `network.${decision}`, destination, details)
      : undefined;
    const result = await registry.invoke(tool.name, input, {
      signal: extra.signal,
      principal,
      ...(onNetwork ? { onNetwork } : {}),
    });
    if (tool.metered && result.cpuMs > 0) guard?.chargeCpu(principal, result.cpuMs);
    audit({ ok: true, cached: result.cached, cpuMs: result.cpuMs });
    const { media, rest } = splitMedia(result.output);
    return {
      content: [{ type: 'text', text: result.text }, ...mediaBlocks(media)],
      // The same object without the bytes the blocks carry (only optional fields are left out).
      structuredContent: media.length > 0 ? (rest as Record<string, unknown>) : result.output,
    };
  } catch (err) {
    const message = toolErrorText(err);
    audit({ ok: false, error: message });
    deps.log?.(`tool ${tool.name} failed: ${message}`);
    return failure(message);
  }
}
