/**
 * Template parameters as text, for faces that take them as `key=value` pairs (the CLI's --param, query
 * strings): parsing them into typed values, and writing an example back as a command line.
 */
import { InvalidOptionsError, UsageError } from '../errors.js';
import { shLiteral } from './literals.js';
import { parseParamText, type ParamSpec } from './params.js';

/** `["columns=a,b", "seed=7"]` -> `{ columns: ["a", "b"], seed: 7 }`, each value typed by its spec. */
export function parseParamArgs(
  specs: ParamSpec[],
  args: string[],
  templateId: string,
): Record<string, unknown> {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const params: Record<string, unknown> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at <= 0) throw new UsageError(`--param expects key=value, got ${JSON.stringify(arg)}`);
    const key = arg.slice(0, at);
    const spec = byName.get(key);
    if (!spec) {
      const takes = specs.length === 0 ? 'no parameters' : `only ${specs.map((s) => s.name).join(', ')}`;
      const issue = `${key}: unknown parameter (${templateId} takes ${takes})`;
      throw new InvalidOptionsError(`invalid parameter ${issue}`, [issue]);
    }
    if (Object.hasOwn(params, key)) {
      throw new UsageError(`--param ${key} is given twice; give a list as one comma-separated value`);
    }
    params[key] = parseParamText(spec, arg.slice(at + 1));
  }
  return params;
}

/** A value as --param text: lists comma-joined (JSON when an item holds a comma), the rest as is. */
export function paramText(value: unknown): string {
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => String(item));
    return items.some((item) => item.includes(',') || item !== item.trim())
      ? JSON.stringify(value)
      : items.join(',');
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A shell word: bare when plainly safe, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w.,:/@%+=-]+$/.test(text) ? text : shLiteral(text);
}

/** `scriptbox generate <id> --param key=value ...` for an example parameter set. */
export function exampleCommand(templateId: string, example: Record<string, unknown>): string {
  const args = Object.entries(example).map(
    ([key, value]) => `--param ${shellWord(`${key}=${paramText(value)}`)}`,
  );
  return ['scriptbox generate', templateId, ...args].join(' ');
}
