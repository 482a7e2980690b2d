/**
 * The pre-pass that makes templates injection-safe by construction: it parses a template with nunjucks's
 * own parser (the one the compiler uses, so it sees exactly what will be compiled) and refuses every output
 * `{{ ... }}` whose value is not finished by a literal filter (`{{ x | py }}`, `{{ xs | js }}`). Plain
 * template text and constant literals (`{{ "text" }}`) are the author's own and pass. Templates are single
 * files: include, extends and import are refused too.
 */
import nunjucks from 'nunjucks';
import { LITERAL_FILTERS } from './literals.js';

export interface TemplateProblem {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

interface AstNode {
  typename: string;
  lineno: number;
  colno: number;
  fields: string[];
  [field: string]: unknown;
}

function isNode(value: unknown): value is AstNode {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'typename') === 'string' &&
    Array.isArray(Reflect.get(value, 'fields'))
  );
}

/** nunjucks.parser.parse, which @types/nunjucks leaves untyped. */
function parseTemplate(source: string, opts: ParseOpts): unknown {
  const parser: unknown = Reflect.get(nunjucks, 'parser');
  const parse: unknown = typeof parser === 'object' && parser ? Reflect.get(parser, 'parse') : undefined;
  if (typeof parse !== 'function') throw new Error('nunjucks.parser.parse is missing');
  const root: unknown = Reflect.apply(parse, parser, [source, [], opts]);
  return root;
}

export interface ParseOpts {
  trimBlocks: boolean;
  lstripBlocks: boolean;
}

const LITERAL_NAMES: ReadonlySet<string> = new Set(LITERAL_FILTERS);
const SINGLE_FILE_ONLY = new Set(['Include', 'Extends', 'Import', 'FromImport']);
const FILTER_HINT = `end it with a literal filter: ${LITERAL_FILTERS.map((f) => `| ${f}`).join(', ')}`;

function filterName(node: AstNode): string | undefined {
  const name = node['name'];
  if (!isNode(name) || name.typename !== 'Symbol') return undefined;
  const value = name['value'];
  return typeof value === 'string' ? value : undefined;
}

function outputProblem(node: AstNode): string | null {
  if (node.typename === 'TemplateData' || node.typename === 'Literal') return null;
  if (node.typename === 'Filter') {
    const name = filterName(node);
    if (name !== undefined && LITERAL_NAMES.has(name)) return null;
    return `output ends with the filter "${name ?? '?'}", which does not make a literal: ${FILTER_HINT}`;
  }
  return `output {{ }} without a literal filter: ${FILTER_HINT}`;
}

function children(node: AstNode): unknown[] {
  const found: unknown[] = [];
  for (const field of node.fields) {
    const value = node[field];
    if (Array.isArray(value)) found.push(...(value as unknown[]));
    else if (value !== undefined) found.push(value);
  }
  return found;
}

function where(node: AstNode): { line: number; column: number } {
  return { line: node.lineno + 1, column: node.colno + 1 };
}

/** Every problem in a template's source, in source order (empty when it is safe); syntax errors throw. */
export function findTemplateProblems(source: string, opts: ParseOpts): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const visit = (value: unknown): void => {
    if (!isNode(value)) return;
    if (SINGLE_FILE_ONLY.has(value.typename)) {
      problems.push({ ...where(value), message: `${value.typename.toLowerCase()} is not allowed` });
    }
    if (value.typename === 'Output') {
      for (const child of children(value)) {
        if (!isNode(child)) continue;
        const message = outputProblem(child);
        if (message !== null) problems.push({ ...where(child), message });
      }
    }
    children(value).forEach(visit);
  };
  visit(parseTemplate(source, opts));
  return problems;
}
