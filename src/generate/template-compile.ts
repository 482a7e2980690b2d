/**
 * The nunjucks side of templates: one Environment per registry (autoescape off, no loaders, undefined
 * variables are errors) with the literal filters, and compilation that refuses unsafe templates before
 * compiling them (see template-check.ts).
 */
import nunjucks from 'nunjucks';
import { InvalidOptionsError } from '../errors.js';
import { LITERAL_ENCODERS, LITERAL_FILTERS } from './literals.js';
import { findTemplateProblems, type ParseOpts } from './template-check.js';

const PARSE_OPTS: ParseOpts = { trimBlocks: true, lstripBlocks: true };

/** A compiled template: render() is synchronous and only fills in values. */
export interface CompiledTemplate {
  render(context: Record<string, unknown>): string;
}

/**
 * An environment for template packs. A literal filter that refuses a value (say, NUL for bash) reports
 * through `onFilterError` before nunjucks wraps the error, so the caller can rethrow it unchanged.
 */
export function createTemplateEnvironment(onFilterError: (err: unknown) => void): nunjucks.Environment {
  // No loaders: templates are single files, so include/extends have nothing to reach. A pack's prelude is
  // read by the pack loader from the pack's own directory and compiled on its own (see prelude.ts).
  const env = new nunjucks.Environment([], { autoescape: false, throwOnUndefined: true, ...PARSE_OPTS });
  for (const name of LITERAL_FILTERS) {
    const encode = LITERAL_ENCODERS[name];
    env.addFilter(name, (value: unknown) => {
      try {
        return encode(value);
      } catch (err) {
        onFilterError(err);
        throw err;
      }
    });
  }
  return env;
}

/** Checks and compiles one template; `path` names it in errors. Throws InvalidOptionsError listing problems. */
export function compileTemplate(env: nunjucks.Environment, source: string, path: string): CompiledTemplate {
  let issues: string[];
  try {
    issues = findTemplateProblems(source, PARSE_OPTS).map(
      (problem) => `${path}:${problem.line}:${problem.column}: ${problem.message}`,
    );
  } catch (err) {
    issues = [`${path}: cannot parse the template: ${firstLine(err)}`];
  }
  if (issues.length === 0) {
    try {
      return new nunjucks.Template(source, env, path, true);
    } catch (err) {
      issues = [`${path}: ${firstLine(err)}`];
    }
  }
  throw new InvalidOptionsError(`unsafe or invalid template ${path}:\n  ${issues.join('\n  ')}`, issues);
}

/** nunjucks messages look like "(path) [Line 3, Column 7]\n  parseExpression: ..."; keep it on one line. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}
