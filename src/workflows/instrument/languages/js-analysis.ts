/**
 * The analysis shared by the JavaScript and TypeScript modules: one walk of the tree-sitter tree that finds
 * every function-like node (declarations, expressions, arrows, generators, methods, accessors,
 * constructors, object-literal methods, class-field arrows) with its qualified name (`Class.method`,
 * `outer.inner`, `<anonymous@L>`), parameters, spans, exits and flags, plus loops and variables.
 * Bodiless signatures (overloads, `declare`, abstract methods) are reported with the reason they are skipped.
 */
import type { SyntaxNode } from '../../../check/parsers.js';
import {
  SourceMap,
  type ExitSite,
  type FileAnalysis,
  type FunctionSite,
  type InstrumentLanguage,
  type LoopSite,
  type VariableSite,
} from '../model.js';

const FUNCTION_TYPES = new Set([
  'function_declaration',
  'function_expression',
  'function', // older grammars' name for a function expression
  'generator_function_declaration',
  'generator_function',
  'arrow_function',
  'method_definition',
]);

/** Nodes with no body: reported as skipped (TypeScript). */
const SIGNATURE_TYPES = new Set(['function_signature', 'method_signature', 'abstract_method_signature']);

const LOOP_TYPES = new Set(['for_statement', 'for_in_statement', 'while_statement', 'do_statement']);

/** Named scopes that prefix what they contain: classes and TypeScript namespaces (`namespace N {}`). */
const CLASS_TYPES = new Set([
  'class_declaration',
  'class',
  'abstract_class_declaration',
  'internal_module',
  'module',
]);

/** A compact name for an assignment target: `a.b.c` for member chains of identifiers, else null. */
function targetName(node: SyntaxNode | null): string | null {
  if (node === null) return null;
  if (node.type === 'identifier' || node.type === 'property_identifier') return node.text;
  if (node.type === 'member_expression') {
    const object = node.childForFieldName('object');
    const property = node.childForFieldName('property');
    if (object === null || property === null) return null;
    if (object.type === 'this') return property.text;
    const left = targetName(object);
    return left === null ? null : `${left}.${property.text}`;
  }
  if (node.type === 'subscript_expression') {
    const left = targetName(node.childForFieldName('object'));
    const index = node.childForFieldName('index');
    if (left === null || index === null) return null;
    return index.type === 'string' ? `${left}.${index.text.slice(1, -1)}` : `${left}[${index.text}]`;
  }
  return null;
}

/** `C.prototype.m` → `C.m` (the Class.method form of classes written with prototypes). */
function assignedName(node: SyntaxNode | null): string | null {
  return targetName(node)?.replace(/\.prototype(?=[.[])/g, '') ?? null;
}

/** The name of a property key (identifier, string, number, computed `[expr]`, `#private`). */
function keyName(node: SyntaxNode | null): string | null {
  if (node === null) return null;
  if (node.type === 'string') return node.text.slice(1, -1);
  if (node.type === 'computed_property_name') return node.text.replace(/\s+/g, ' ');
  return node.text;
}

/** Expressions that pass a value through unchanged (parentheses, TypeScript's type operators). */
const WRAPPERS = new Set([
  'parenthesized_expression',
  'as_expression',
  'satisfies_expression',
  'non_null_expression',
  'type_assertion',
]);

/** The name a value gets from where it stands: `const f = …`, `a.b = …`, `{ k: … }`, `x = …` in a class. */
export function bindingName(node: SyntaxNode): string | null {
  let value = node;
  let parent = node.parent;
  while (parent !== null && WRAPPERS.has(parent.type)) {
    value = parent;
    parent = parent.parent;
  }
  if (parent === null) return null;
  switch (parent.type) {
    case 'variable_declarator':
      return parent.childForFieldName('value') === value
        ? targetName(parent.childForFieldName('name'))
        : null;
    case 'assignment_expression':
      return parent.childForFieldName('right') === value
        ? assignedName(parent.childForFieldName('left'))
        : null;
    case 'pair':
      return parent.childForFieldName('value') === value ? keyName(parent.childForFieldName('key')) : null;
    case 'field_definition':
      return keyName(parent.childForFieldName('property'));
    case 'public_field_definition':
      return keyName(parent.childForFieldName('name'));
    case 'export_statement':
      return 'default';
    default:
      return null;
  }
}

function hasToken(node: SyntaxNode, token: string): boolean {
  return node.children.some((child) => !child.isNamed && child.type === token);
}

function paramNames(node: SyntaxNode): string[] {
  const single = node.childForFieldName('parameter');
  if (single !== null) return [single.text];
  const params = node.childForFieldName('parameters');
  if (params === null) return [];
  return params.namedChildren
    .filter((child) => child.type !== 'comment')
    .map((child) => (child.childForFieldName('pattern') ?? child).text);
}

/** Whether a node sits inside a `declare …` or a `.d.ts`-like ambient context. */
function ambient(node: SyntaxNode): boolean {
  for (let at: SyntaxNode | null = node.parent; at !== null; at = at.parent)
    if (at.type === 'ambient_declaration') return true;
  return false;
}

interface Scope {
  /** Qualified prefix for names defined directly inside, e.g. `Class` or `outer`. */
  prefix: string;
  /** The innermost function, or null at the top level. */
  fn: FunctionSite | null;
}

export function analyzeJs(
  language: InstrumentLanguage,
  root: SyntaxNode,
  source: string,
  relPath: string,
): FileAnalysis {
  const map = new SourceMap(source);
  const functions: FunctionSite[] = [];
  const loops: LoopSite[] = [];
  const variables: VariableSite[] = [];
  const qualify = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}.${name}`);

  const site = (node: SyntaxNode, scope: Scope): FunctionSite => {
    const line = node.startPosition.row + 1;
    const body = node.childForFieldName('body');
    const block = body !== null && body.type === 'statement_block' ? body : null;
    const inClass = node.parent?.type === 'class_body';
    let name: string;
    let kind: FunctionSite['kind'];
    if (node.type === 'method_definition' || SIGNATURE_TYPES.has(node.type)) {
      const key = keyName(node.childForFieldName('name')) ?? `<anonymous@${line}>`;
      const accessor = hasToken(node, 'get') ? 'get' : hasToken(node, 'set') ? 'set' : null;
      name = accessor === null ? key : `${accessor} ${key}`;
      kind = key === 'constructor' && inClass ? 'constructor' : accessor !== null ? 'accessor' : 'method';
    } else {
      const own = node.childForFieldName('name');
      name = own?.text ?? bindingName(node) ?? `<anonymous@${line}>`;
      const field = ['field_definition', 'public_field_definition'].includes(node.parent?.type ?? '');
      if (field) kind = 'method';
      else if (node.type === 'arrow_function') kind = block === null ? 'lambda' : 'closure';
      else if (node.type.endsWith('_declaration')) kind = 'function';
      else kind = scope.fn === null ? 'function' : 'closure';
    }
    const start = map.position(node.startIndex);
    const headerEnd = body?.startIndex ?? node.endIndex;
    let skip: string | null = null;
    if (SIGNATURE_TYPES.has(node.type) || ambient(node))
      skip =
        node.type === 'abstract_method_signature'
          ? 'abstract method (no body)'
          : ambient(node)
            ? 'ambient declaration (declare, no body)'
            : 'overload signature (no body)';
    else if (node.hasError) skip = 'the function does not parse cleanly';
    else if (body === null) skip = 'no body';
    return {
      index: functions.length,
      name,
      qualifiedName: qualify(scope.prefix, name),
      kind,
      params: paramNames(node),
      span: { start, end: map.position(node.endIndex) },
      header: { start, end: map.position(headerEnd) },
      body: block === null ? null : map.nodeSpan(block),
      exits: [],
      async: hasToken(node, 'async'),
      generator: node.type.startsWith('generator_') || hasToken(node, '*'),
      skip,
    };
  };

  const walk = (node: SyntaxNode, scope: Scope): void => {
    let inner = scope;
    if (
      node.isNamed &&
      (FUNCTION_TYPES.has(node.type) || (SIGNATURE_TYPES.has(node.type) && signatureOfFunction(node)))
    ) {
      const fn = site(node, scope);
      functions.push(fn);
      // An anonymous function adds nothing to its children's names (`<anonymous@L>` is for itself only).
      inner = { prefix: fn.name.startsWith('<anonymous@') ? scope.prefix : fn.qualifiedName, fn };
      const body = node.childForFieldName('body');
      if (body !== null && body.type !== 'statement_block') {
        fn.exits.push({ kind: 'return', span: map.nodeSpan(body) });
      } else if (body !== null) {
        const last = body.namedChildren.filter((child) => child.type !== 'comment').pop();
        if (last === undefined || (last.type !== 'return_statement' && last.type !== 'throw_statement')) {
          const close = body.endIndex - 1;
          fn.exits.push({ kind: 'implicit', span: map.span(close, close + 1) });
        }
      }
    } else if (CLASS_TYPES.has(node.type)) {
      const name = node.childForFieldName('name')?.text ?? bindingName(node);
      const className = name ?? `<class@${node.startPosition.row + 1}>`;
      inner = { prefix: qualify(scope.prefix, className), fn: scope.fn };
    } else if (node.type === 'object') {
      const name = bindingName(node);
      if (name !== null) inner = { prefix: qualify(scope.prefix, name), fn: scope.fn };
    } else if (scope.fn !== null && exitKind(node) !== null) {
      const exits: ExitSite[] = scope.fn.exits;
      exits.push({ kind: exitKind(node) ?? 'return', span: map.nodeSpan(node) });
    }
    if (LOOP_TYPES.has(node.type))
      loops.push({ kind: node.type.replace(/_statement$/, ''), span: map.nodeSpan(node) });
    if (node.type === 'variable_declarator') {
      const name = node.childForFieldName('name');
      if (name !== null && name.type === 'identifier')
        variables.push({ name: name.text, span: map.nodeSpan(name) });
    }
    for (const child of node.children) walk(child, inner);
  };

  walk(root, { prefix: '', fn: null });
  // Exits were collected in walk order; keep them sorted by position (the implicit end last).
  for (const fn of functions) fn.exits.sort((a, b) => a.span.start.byte - b.span.start.byte);
  return { language, path: relPath, functions, loops, variables };
}

function exitKind(node: SyntaxNode): ExitSite['kind'] | null {
  if (node.type === 'return_statement') return 'return';
  if (node.type === 'throw_statement') return 'throw';
  if (node.type === 'yield_expression') return 'yield';
  return null;
}

/** A method signature counts as a function only in a class (an overload); in an interface it is a type. */
function signatureOfFunction(node: SyntaxNode): boolean {
  return node.type !== 'method_signature' || node.parent?.type === 'class_body';
}
