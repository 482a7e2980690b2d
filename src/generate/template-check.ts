/**
 * The pre-pass that makes templates injection-safe by construction: it parses a template with nunjucks's
 * own parser (the one the compiler uses, so it sees exactly what will be compiled) and refuses every output
 * `{{ ... }}` whose value is not finished by a literal filter (`{{ x | py }}`, `{{ xs | js }}`). Plain
 * template text and constant literals (`{{ "text" }}`) are the author's own and pass. Templates are single
 * files: include, extends and import are refused too (a pack's shared code comes in through its prelude,
 * see prelude.ts, whose marker must stand outside every block).
 */
import nunjucks from 'nunjucks';
import { LITERAL_FILTERS } from './literals.js';
import { PRELUDE_MARKER, PRELUDE_SENTINEL } from './prelude.js';

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

/** Where the prelude marker stood, when `node` is the text that holds it. */
function preludeMarkerAt(node: AstNode): { line: number; column: number } | null {
  const value = node['value'];
  if (node.typename !== 'TemplateData' || typeof value !== 'string') return null;
  const at = value.indexOf(PRELUDE_SENTINEL);
  if (at < 0) return null;
  const lines = value.slice(0, at).split('\n');
  if (lines.length === 1) return where(node);
  return { line: node.lineno + lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** Text directly in the template (Root > Output > TemplateData), not inside a block. */
function topLevelText(root: unknown): Set<unknown> {
  const outputs = isNode(root) ? children(root).filter(isNode) : [];
  return new Set(outputs.filter((node) => node.typename === 'Output').flatMap(children));
}

/** Every problem in a template's source, in source order (empty when it is safe); syntax errors throw. */
export function findTemplateProblems(source: string, opts: ParseOpts): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const root = parseTemplate(source, opts);
  const topLevel = topLevelText(root);
  const visit = (value: unknown): void => {
    if (!isNode(value)) return;
    const marker = preludeMarkerAt(value);
    if (marker && !topLevel.has(value)) {
      const message = `the ${PRELUDE_MARKER} line must stand outside {% if %}, {% for %} and other blocks`;
      problems.push({ ...marker, message });
    }
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
  visit(root);
  return problems;
}
