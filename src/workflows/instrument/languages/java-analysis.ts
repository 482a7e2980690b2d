/**
 * Java analysis for the Java module (java.ts): methods, constructors (compact ones of records included),
 * static and instance initializer blocks, and lambdas, with qualified names, parameters, exits, loops and
 * variables. Names follow the source for member classes (`Outer.Inner.method`) and javac's binary names for
 * anonymous and local classes (`Outer$1.run`, `Outer$1Local.m`, numbered per enclosing class in source
 * order, as javac does for ordinary code); constructors are `Class.<init>`, static initializers
 * `Class.<clinit>`, instance initializer blocks `Class.<instinit>`, lambdas `<enclosing>.lambda$N` (N from 1
 * in source order per enclosing function; `Class.lambda$N` in field initializers). Overloads share a name:
 * the event's line tells them apart (the line of the declaration's name, not of its annotations).
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

/** Declarations that start a class body (their members are named after them). */
const CLASS_TYPES = new Set([
  'class_declaration',
  'interface_declaration',
  'enum_declaration',
  'record_declaration',
  'annotation_type_declaration',
]);
const LOOP_TYPES = new Map([
  ['for_statement', 'for'],
  ['enhanced_for_statement', 'for-each'],
  ['while_statement', 'while'],
  ['do_statement', 'do'],
]);
/** Expression lambdas with these bodies are void- or value-compatible by their target type alone. */
const STATEMENT_EXPRESSIONS = new Set([
  'method_invocation',
  'assignment_expression',
  'update_expression',
  'object_creation_expression',
]);

export const SKIP_ABSTRACT = 'abstract method (no body)';
export const SKIP_NATIVE = 'native method (no body)';
export const SKIP_STATEMENT_LAMBDA =
  'expression lambda whose body is a method call, assignment, ++/-- or new: whether it may return a value ' +
  'depends on its target type (needs type resolution), so it is not rewritten into a block';

/** What the insertion needs beyond the FunctionSite: kept per analysed source (see javaDetails). */
export interface JavaDetail {
  /** Byte offset of the `;` ending a constructor's explicit `this(…)`/`super(…)` call, or -1. */
  invocationEnd: number;
  /** Lambda nesting depth since the nearest class body (0: not a lambda): names the lambda's locals. */
  lambdaDepth: number;
  /** The line reported in events (the declaration's name, the lambda's arrow start, the initializer's `{`). */
  line: number;
}

const details = new WeakMap<FunctionSite, JavaDetail>();
export function javaDetail(fn: FunctionSite): JavaDetail {
  return details.get(fn) ?? { invocationEnd: -1, lambdaDepth: 0, line: fn.span.start.line };
}

interface ClassScope {
  name: string;
  anonymous: number;
  locals: Map<string, number>;
  lambdas: number;
}
interface FunctionScope {
  name: string;
  lambdas: number;
}
interface Scope {
  cls: ClassScope | null;
  fn: FunctionScope | null;
  lambdaDepth: number;
  /** Inside a block (method body, initializer): a class declared here is a local class. */
  local: boolean;
}

const isNative = (node: SyntaxNode): boolean =>
  node.namedChildren.some((c) => c.type === 'modifiers' && c.children.some((m) => m.type === 'native'));

function paramNames(node: SyntaxNode): string[] {
  const params = node.childForFieldName('parameters');
  if (params === null) return [];
  if (params.type === 'identifier') return [params.text];
  const names: string[] = [];
  for (const param of params.namedChildren) {
    if (param.type === 'identifier') names.push(param.text);
    else if (param.type === 'formal_parameter') names.push(param.childForFieldName('name')?.text ?? '?');
    else if (param.type === 'spread_parameter') {
      const declarator = param.namedChildren.find((c) => c.type === 'variable_declarator');
      names.push(declarator?.childForFieldName('name')?.text ?? '?');
    }
  }
  return names;
}

/** Returns and throws of a body (not of the lambdas and classes in it), and the implicit end. */
function exitsOf(body: SyntaxNode, map: SourceMap): ExitSite[] {
  const exits: ExitSite[] = [];
  const walk = (node: SyntaxNode): void => {
    if (node.type === 'lambda_expression' || node.type === 'class_body' || CLASS_TYPES.has(node.type)) return;
    if (node.type === 'return_statement') exits.push({ kind: 'return', span: map.nodeSpan(node) });
    else if (node.type === 'throw_statement') exits.push({ kind: 'throw', span: map.nodeSpan(node) });
    for (const child of node.children) walk(child);
  };
  walk(body);
  const statements = body.namedChildren.filter(
    (c) => c.type !== 'line_comment' && c.type !== 'block_comment',
  );
  const last = statements[statements.length - 1];
  if (last?.type !== 'return_statement' && last?.type !== 'throw_statement')
    exits.push({ kind: 'implicit', span: map.span(body.endIndex - 1, body.endIndex) });
  return exits;
}

/** Analyses one Java file (pure). */
export function analyzeJava(root: SyntaxNode, source: string, relPath: string): FileAnalysis {
  const map = new SourceMap(source);
  const functions: FunctionSite[] = [];
  const loops: LoopSite[] = [];
  const variables: VariableSite[] = [];

  const add = (
    node: SyntaxNode,
    body: SyntaxNode | null,
    name: string,
    qualifiedName: string,
    kind: FunctionSite['kind'],
    detail: Omit<JavaDetail, 'line'> & { lineNode: SyntaxNode },
    skip: string | null,
  ): void => {
    const block = body !== null && body.type !== 'block' && body.type !== 'constructor_body' ? null : body;
    const fn: FunctionSite = {
      index: functions.length,
      name,
      qualifiedName,
      kind,
      params: paramNames(node),
      span: map.nodeSpan(node),
      header: map.span(node.startIndex, body?.startIndex ?? node.endIndex),
      body: block === null ? null : map.nodeSpan(block),
      exits:
        body === null
          ? []
          : block === null
            ? [{ kind: 'return', span: map.nodeSpan(body) }]
            : exitsOf(block, map),
      async: false,
      generator: false,
      skip: skip ?? (body === null ? (isNative(node) ? SKIP_NATIVE : SKIP_ABSTRACT) : null),
    };
    functions.push(fn);
    details.set(fn, {
      invocationEnd: detail.invocationEnd,
      lambdaDepth: detail.lambdaDepth,
      line: map.position(detail.lineNode.startIndex).line,
    });
  };

  const classScope = (name: string): ClassScope => ({ name, anonymous: 0, locals: new Map(), lambdas: 0 });
  const inClass = (cls: ClassScope): Scope => ({ cls, fn: null, lambdaDepth: 0, local: false });
  const inFunction = (scope: Scope, name: string): Scope => ({
    cls: scope.cls,
    fn: { name, lambdas: 0 },
    lambdaDepth: scope.lambdaDepth,
    local: true,
  });
  const owner = (scope: Scope): string => scope.cls?.name ?? '?';

  const visitChildren = (node: SyntaxNode, scope: Scope): void => {
    for (const child of node.children) visit(child, scope);
  };

  const visit = (node: SyntaxNode, scope: Scope): void => {
    const type = node.type;
    if (CLASS_TYPES.has(type)) {
      const simple = node.childForFieldName('name')?.text ?? '?';
      let name: string;
      if (scope.cls === null) name = simple;
      else if (scope.local) {
        const n = (scope.cls.locals.get(simple) ?? 0) + 1;
        scope.cls.locals.set(simple, n);
        name = `${scope.cls.name}$${n}${simple}`;
      } else name = `${scope.cls.name}.${simple}`;
      // A record's header parameters are not functions; its body's members are.
      visitChildren(node, inClass(classScope(name)));
      return;
    }
    if (
      type === 'class_body' &&
      (node.parent?.type === 'object_creation_expression' || node.parent?.type === 'enum_constant')
    ) {
      const cls = scope.cls ?? classScope('?');
      cls.anonymous += 1;
      visitChildren(node, inClass(classScope(`${cls.name}$${cls.anonymous}`)));
      return;
    }
    if (type === 'method_declaration') {
      const nameNode = node.childForFieldName('name');
      const simple = nameNode?.text ?? '?';
      const qualified = `${owner(scope)}.${simple}`;
      const body = node.childForFieldName('body');
      add(
        node,
        body,
        simple,
        qualified,
        'method',
        { invocationEnd: -1, lambdaDepth: 0, lineNode: nameNode ?? node },
        null,
      );
      if (body !== null) visit(body, inFunction({ ...scope, lambdaDepth: 0 }, qualified));
      return;
    }
    if (type === 'constructor_declaration' || type === 'compact_constructor_declaration') {
      const nameNode = node.childForFieldName('name');
      const qualified = `${owner(scope)}.<init>`;
      const body = node.childForFieldName('body');
      const first = body?.namedChildren.find((c) => c.type !== 'line_comment' && c.type !== 'block_comment');
      let invocationEnd = -1;
      if (first?.type === 'explicit_constructor_invocation') {
        // The node ends with its `;` (tree-sitter-java); allow trivia before it all the same.
        let i = first.endIndex - 1;
        if (source[i] !== ';') {
          i = first.endIndex;
          while (i < source.length && /\s/.test(source[i] ?? '')) i++;
        }
        invocationEnd = source[i] === ';' ? map.position(i).byte : -1;
      }
      const skip =
        first?.type === 'explicit_constructor_invocation' && invocationEnd < 0
          ? 'the explicit constructor call does not end with ;'
          : null;
      add(
        node,
        body,
        '<init>',
        qualified,
        'constructor',
        { invocationEnd, lambdaDepth: 0, lineNode: nameNode ?? node },
        skip,
      );
      if (body !== null) visit(body, inFunction({ ...scope, lambdaDepth: 0 }, qualified));
      return;
    }
    if (type === 'static_initializer' || (type === 'block' && node.parent?.type === 'class_body')) {
      const block = type === 'block' ? node : (node.namedChildren.find((c) => c.type === 'block') ?? null);
      const simple = type === 'block' ? '<instinit>' : '<clinit>';
      const qualified = `${owner(scope)}.${simple}`;
      add(
        node,
        block,
        simple,
        qualified,
        'function',
        { invocationEnd: -1, lambdaDepth: 0, lineNode: block ?? node },
        null,
      );
      if (block !== null) visitChildren(block, inFunction({ ...scope, lambdaDepth: 0 }, qualified));
      return;
    }
    if (type === 'lambda_expression') {
      const body = node.childForFieldName('body');
      const counter = scope.fn ?? scope.cls ?? classScope('?');
      counter.lambdas += 1;
      const simple = `lambda$${counter.lambdas}`;
      const qualified = `${scope.fn?.name ?? owner(scope)}.${simple}`;
      const depth = scope.lambdaDepth + 1;
      const skip =
        body !== null && body.type !== 'block' && STATEMENT_EXPRESSIONS.has(body.type)
          ? SKIP_STATEMENT_LAMBDA
          : null;
      add(
        node,
        body,
        simple,
        qualified,
        'lambda',
        { invocationEnd: -1, lambdaDepth: depth, lineNode: node },
        skip,
      );
      if (body !== null)
        visit(body, { cls: scope.cls, fn: { name: qualified, lambdas: 0 }, lambdaDepth: depth, local: true });
      return;
    }
    const loop = LOOP_TYPES.get(type);
    if (loop !== undefined) loops.push({ kind: loop, span: map.nodeSpan(node) });
    if (type === 'variable_declarator') {
      const name = node.childForFieldName('name');
      if (name !== null) variables.push({ name: name.text, span: map.nodeSpan(name) });
    }
    visitChildren(node, scope);
  };
  visit(root, { cls: null, fn: null, lambdaDepth: 0, local: false });
  return { language: 'java', path: relPath, functions, loops, variables };
}
