/** Schema-first options (each options object is one zod schema): parse, or say every problem with its path. */
import type { z } from 'zod';
import { InvalidOptionsError } from './errors.js';

/** Parses `value` with `schema`, or throws InvalidOptionsError listing every problem as `path: message`. */
export function parseOptions<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new InvalidOptionsError(`invalid ${what}:\n  ${issues.join('\n  ')}`, issues);
}
