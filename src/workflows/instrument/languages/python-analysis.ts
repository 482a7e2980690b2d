/**
 * Python analysis with tree-sitter: every function (def, async def, methods, nested functions, lambdas)
 * with Python's own qualified name (`Class.method`, `outer.<locals>.inner`, `f.<locals>.<lambda>`),
 * parameters, exact spans in the one range model (model.ts), body, exits, async/generator flags, plus loops
 * and assigned variables. Pure: the same tree and text give the same analysis.
 */
import type { SyntaxNode } from '../../../check/parsers.js';
import {
  SourceMap,
  type ExitSite,
  type FileAnalysis,
  type FunctionSite,
  type LoopSite,
  type VariableSite,
} from '../model.js';

/** Why lambdas are left alone (reported as the function's skip reason). */
export const LAMBDA_SKIP =
  'lambda: one expression with no statement position for a decorator line (not instrumented)';

const LOOPS: Record<string, string> = {
  for_statement: 'for',
  while_statement: 'while',
  list_comprehension: 'comprehension',
  set_comprehension: 'comprehension',
  dictionary_comprehension: 'comprehension',
  generator_expression: 'comprehension',
};

const ACCESSOR_DECORATORS =
  /^(property|functools\.cached_property|cached_property)$|\.(setter|getter|deleter)$/;

interface Scope {
  /** Qualified-name prefix for definitions inside (`A.`, `f.<locals>.`). */
  prefix: string;
  kind: 'module' | 'class' | 'function';
}

export function analyzePython(root: SyntaxNode, source: string, relPath: string): FileAnalysis {
  const map = new SourceMap(source);
  const functions: FunctionSite[] = [];
  const loops: LoopSite[] = [];
  const variables: VariableSite[] = [];

  const visit = (node: SyntaxNode, scope: Scope): void => {
    const loop = LOOPS[node.type];
    if (loop !== undefined) {
      const isAsync = node.children[0]?.type === 'async';
      loops.push({ kind: isAsync ? `async ${loop}` : loop, span: map.nodeSpan(node) });
    }
    collectVariables(node, map, variables);
    if (node.type === 'class_definition') {
      const name = node.childForFieldName('name')?.text ?? '?';
      const inner: Scope = { prefix: `${scope.prefix}${name}.`, kind: 'class' };
      for (const child of node.children) visit(child, child.type === 'block' ? inner : scope);
      return;
    }
    if (node.type === 'function_definition' || (node.type === 'lambda' && node.isNamed)) {
      const site = functionSite(node, scope, map, functions.length);
      functions.push(site);
      const inner: Scope = { prefix: `${site.qualifiedName}.<locals>.`, kind: 'function' };
      // Defaults, annotations and decorators are evaluated in the enclosing scope.
      node.children.forEach((child, i) => visit(child, node.fields[i] === 'body' ? inner : scope));
      return;
    }
    for (const child of node.children) visit(child, scope);
  };
  visit(root, { prefix: '', kind: 'module' });
  return { language: 'python', path: relPath, functions, loops, variables };
}

function functionSite(node: SyntaxNode, scope: Scope, map: SourceMap, index: number): FunctionSite {
  const isLambda = node.type === 'lambda';
  const name = isLambda ? '<lambda>' : (node.childForFieldName('name')?.text ?? '?');
  const body = node.childForFieldName('body');
  const parameters = node.childForFieldName('parameters');
  const decorators = node.parent?.type === 'decorated_definition' ? node.parent.namedChildren : [];
  const decoratorNames = decorators
    .filter((d) => d.type === 'decorator')
    .map((d) => d.text.replace(/^@\s*/, '').replace(/\(.*$/s, ''));
  let kind: FunctionSite['kind'];
  if (isLambda) kind = 'lambda';
  else if (scope.kind === 'function') kind = 'closure';
  else if (scope.kind === 'class') {
    if (decoratorNames.some((d) => ACCESSOR_DECORATORS.test(d))) kind = 'accessor';
    else kind = name === '__init__' || name === '__new__' ? 'constructor' : 'method';
  } else kind = 'function';
  const exits: ExitSite[] = [];
  let generator = false;
  if (body !== null) {
    walkOwn(body, (n) => {
      if (n.type === 'return_statement') exits.push({ kind: 'return', span: map.nodeSpan(n) });
      else if (n.type === 'raise_statement') exits.push({ kind: 'throw', span: map.nodeSpan(n) });
      else if (n.type === 'yield' && n.isNamed) {
        generator = true;
        exits.push({ kind: 'yield', span: map.nodeSpan(n) });
      }
    });
    const last = isLambda ? null : body.namedChildren.filter((c) => c.type !== 'comment').at(-1);
    if (isLambda) exits.push({ kind: 'return', span: map.nodeSpan(body) });
    else if (last === undefined || (last?.type !== 'return_statement' && last?.type !== 'raise_statement')) {
      const end = codeEnd(body);
      exits.push({ kind: 'implicit', span: map.span(end, end) });
    }
  }
  const start = node.startIndex;
  const bodyStart = body?.startIndex ?? node.endIndex;
  let skip: string | null = null;
  if (isLambda) skip = LAMBDA_SKIP;
  else if (node.hasError) skip = 'syntax error inside the function';
  else if (body === null) skip = 'no body';
  return {
    index,
    name,
    qualifiedName: `${scope.prefix}${name}`,
    kind,
    params: parameters === null ? [] : paramNames(parameters),
    span: map.span(start, codeEnd(node)),
    header: map.span(start, bodyStart),
    body: isLambda || body === null ? null : map.span(body.startIndex, codeEnd(body)),
    exits,
    async: node.children[0]?.type === 'async',
    generator,
    skip,
  };
}

/** Where a node's code ends: tree-sitter counts comments after the last statement into the block. */
function codeEnd(node: SyntaxNode): number {
  for (let i = node.children.length - 1; i >= 0; i--) {
    const child = node.children[i]!;
    if (child.type !== 'comment') return codeEnd(child);
  }
  return node.endIndex;
}

/** Visits a function body without entering nested functions, lambdas or classes (their exits are theirs). */
function walkOwn(node: SyntaxNode, visit: (node: SyntaxNode) => void): void {
  for (const child of node.children) {
    visit(child);
    if (
      child.type === 'function_definition' ||
      child.type === 'lambda' ||
      child.type === 'class_definition'
    ) {
      continue;
    }
    walkOwn(child, visit);
  }
}

function paramNames(parameters: SyntaxNode): string[] {
  const names: string[] = [];
  for (const p of parameters.namedChildren) {
    const name = paramName(p);
    if (name !== null) names.push(name);
  }
  return names;
}

function paramName(p: SyntaxNode): string | null {
  switch (p.type) {
    case 'identifier':
      return p.text;
    case 'list_splat_pattern':
      return `*${p.namedChildren[0]?.text ?? ''}`;
    case 'dictionary_splat_pattern':
      return `**${p.namedChildren[0]?.text ?? ''}`;
    case 'default_parameter':
    case 'typed_default_parameter':
      return p.childForFieldName('name')?.text ?? null;
    case 'typed_parameter': {
      const first = p.namedChildren[0];
      return first === undefined ? null : paramName(first);
    }
    default:
      return null; // `/`, `*` separators, comments
  }
}

/** Names bound by assignments, augmented assignments, walrus and for-loop targets. */
function collectVariables(node: SyntaxNode, map: SourceMap, out: VariableSite[]): void {
  let target: SyntaxNode | null = null;
  if (node.type === 'assignment' || node.type === 'augmented_assignment')
    target = node.childForFieldName('left');
  else if (node.type === 'named_expression') target = node.childForFieldName('name');
  else if (node.type === 'for_statement' || node.type === 'for_in_clause')
    target = node.childForFieldName('left');
  if (target === null) return;
  const names = (n: SyntaxNode): void => {
    if (n.type === 'identifier') out.push({ name: n.text, span: map.nodeSpan(n) });
    else if (
      /^(pattern_list|tuple_pattern|list_pattern|list_splat_pattern|expression_list|tuple|list)$/.test(n.type)
    ) {
      for (const c of n.namedChildren) names(c);
    }
  };
  names(target);
}
