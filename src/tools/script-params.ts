/**
 * How a saved script declares parameters, so it becomes a tool of its own: a comment among its first 20
 * lines, `# scriptbox-params: [...]` (`//` in JavaScript and TypeScript), holding a JSON array of parameter
 * declarations in the template packs' format (ParamSpec: name, type, description, default, required, enum,
 * min, max). The tool validates its input against them and gives the script one JSON object on stdin.
 */
import { z } from 'zod';
import { ParamSpecSchema, type ParamSpec } from '../generate/params.js';

export const SCRIPT_PARAMS_HEADER_LINES = 20;
const HEADER_RE = /^\s*(?:#|\/\/)\s*scriptbox-params:\s*(.*)$/;

export const SCRIPT_PARAMS_HELP =
  'To make a saved script a tool of its own, declare its parameters in a comment among its first ' +
  `${SCRIPT_PARAMS_HEADER_LINES} lines, e.g. ` +
  '`# scriptbox-params: [{"name": "n", "type": "integer", "description": "how many", "default": 10}]` ' +
  '(`//` in JavaScript and TypeScript; types: string, number, integer, boolean, string[], number[]; ' +
  'also required, enum, min, max); the script then reads the parameters as one JSON object on stdin.';

const ScriptParamsSchema = z
  .array(ParamSpecSchema)
  .max(50)
  .superRefine((specs, ctx) => {
    const seen = new Set<string>();
    specs.forEach((spec, index) => {
      if (seen.has(spec.name))
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: 'declared twice' });
      seen.add(spec.name);
    });
  });

export type ScriptParams = { specs: ParamSpec[] } | { problem: string };

/** The declared parameters, a problem with the declaration, or null for a script that declares none. */
export function parseScriptParams(source: string): ScriptParams | null {
  const lines = source.split('\n', SCRIPT_PARAMS_HEADER_LINES);
  const text = lines.map((line) => HEADER_RE.exec(line)?.[1]).find((found) => found !== undefined);
  if (text === undefined) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `scriptbox-params is not JSON: ${(err as Error).message}` };
  }
  const parsed = ScriptParamsSchema.safeParse(json);
  if (parsed.success) return { specs: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return { problem: `scriptbox-params: ${issues.join('; ')}` };
}
