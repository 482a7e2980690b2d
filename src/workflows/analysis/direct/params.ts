/**
 * Typed reads of template parameters for the direct engine. `direct()` gets them resolved by the template
 * registry (validated, defaults filled in); a value of the wrong type is a caller's mistake and says which.
 */
import { InvalidOptionsError } from '../../../errors.js';

function wrongType(name: string, expected: string, value: unknown): never {
  const issue = `${name}: expected ${expected}, got ${JSON.stringify(value) ?? String(value)}`;
  throw new InvalidOptionsError(`invalid parameter ${issue}`, [issue]);
}

export function stringParam(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  return typeof value === 'string' ? value : wrongType(name, 'a string', value);
}

export function stringListParam(params: Record<string, unknown>, name: string): string[] {
  const value = params[name];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return wrongType(name, 'a list of strings', value);
}

export function numberListParam(params: Record<string, unknown>, name: string): number[] {
  const value = params[name];
  if (Array.isArray(value) && value.every((item) => typeof item === 'number')) return value;
  return wrongType(name, 'a list of numbers', value);
}
