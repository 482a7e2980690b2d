/**
 * Ruby analysis with tree-sitter: methods (`def m`, `def self.m`, `def Const.m`, `class << self`, endless
 * `def m = expr`), blocks (do...end, and the brace blocks that make function objects) and `->` lambdas, with
 * Ruby's own naming: `Mod::Class#method` (instance), `Mod::Class.method` (singleton), a plain name at the
 * top level, `owner.blockN` / `owner.lambdaN` for blocks (`owner.blockN.blockM` nested), and `Class#name` for
 * a `define_method(:name)` block. Each site records where its wrapper goes (see ruby.ts): `open` (the byte
 * after the signature / block parameters), `close` (the byte of the closing `end` / `}`) and the block depth
 * (blocks share their enclosing scope's locals, so each nesting level gets its own variable).
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

/** Why brace blocks given to ordinary methods are left alone (reported as the skip reason). */
export const BRACE_BLOCK_SKIP =
  'brace block passed to a method: one-expression iterator style, like lambdas elsewhere (do...end blocks, ' +
  'lambdas, procs, threads and define_method blocks are instrumented)';

/** Calls whose brace block is a function object of its own (instrumented like a do...end block). */
const FUNCTION_OBJECT_CALLS = new Set([
  'lambda',
  'proc',
  'Proc.new',
  'Thread.new',
  'Thread.start',
  'Thread.fork',
  'Fiber.new',
  'define_method',
  'define_singleton_method',
]);

/** Calls whose block is a class body when the result is assigned to a constant. */
const CLASS_MAKERS = new Set(['Class.new', 'Module.new', 'Struct.new', 'Data.define']);

/** Where the wrapper goes, in string indices of the source (ruby.ts turns them into bytes). */
export interface RubyWrap {
  /** `method`: a def with an `end`; `endless`: `def m = expr`; `block`: do...end / `{ }`. */
  form: 'method' | 'endless' | 'block';
  /** Index where the opening text goes (after the signature / block parameters / `=`'s expression start). */
  open: number;
  /** Index where the closing text goes (the closing `end` / `}`; endless: the end of the expression). */
  close: number;
  /** The body has its own rescue / else / ensure clauses (kept by a nested begin). */
  clauses: boolean;
  /** Block nesting depth inside the nearest def / class / module / file scope (0: a def). */
  depth: number;
}

/** Where each analysed (instrumentable) site's wrapper goes; keyed by the FunctionSite object itself. */
const WRAPS = new WeakMap<FunctionSite, RubyWrap>();

/** The wrapper placement of a site analysed by analyzeRuby (undefined: skipped, or not analysed here). */
export function wrapOf(fn: FunctionSite): RubyWrap | undefined {
  return WRAPS.get(fn);
}

interface Scope {
  /** The class / module path (`A::B`), '' at the top level. */
  path: string;
  /** The enclosing def's qualified name, or the block owner name; null outside defs and blocks. */
  owner: string | null;
  /** Inside `class << self` (defs there are singleton methods). */
  singleton: string | null;
  /** Inside a def (blocks there are not class-level define_method blocks). */
  inDef: boolean;
  depth: number;
  counters: Map<string, number>;
}

const SCOPE_GATES = new Set(['class', 'module', 'singleton_class']);
const LOOP_TYPES = new Map([
  ['while', 'while'],
  ['until', 'until'],
  ['for', 'for'],
  ['while_modifier', 'while'],
  ['until_modifier', 'until'],
]);

const stripColons = (text: string): string => text.replace(/^::/, '');

/** The receiver + method name of a call (`Thread.new`, `lambda`), or null. */
function callName(call: SyntaxNode): string | null {
  const method = call.childForFieldName('method')?.text;
  if (method === undefined) return null;
  const receiver = call.childForFieldName('receiver');
  return receiver === null ? method : `${stripColons(receiver.text)}.${method}`;
}

/** The symbol a define_method(:name) call defines, or null. */
function definedName(call: SyntaxNode): string | null {
  const first = call.childForFieldName('arguments')?.namedChildren[0];
  if (first === undefined) return null;
  if (first.type === 'simple_symbol') return first.text.slice(1);
  if (first.type === 'string') return first.namedChildren.length === 1 ? first.namedChildren[0]!.text : null;
  return null;
}

function paramNames(list: SyntaxNode | null): string[] {
  if (list === null) return [];
  const names: string[] = [];
  for (const param of list.namedChildren) {
    if (param.type === 'identifier') names.push(param.text);
    else if (param.type === 'block_parameters' || param.type === 'lambda_parameters')
      names.push(...paramNames(param));
    else {
      const name =
        param.childForFieldName('name') ?? param.namedChildren.find((c) => c.type === 'identifier');
      names.push(name?.text ?? param.text);
    }
  }
  return names;
}

const isClause = (node: SyntaxNode): boolean =>
  node.type === 'rescue' || node.type === 'else' || node.type === 'ensure';

/** Analyses one Ruby file (pure). */
export function analyzeRuby(root: SyntaxNode, source: string, relPath: string): FileAnalysis {
  const map = new SourceMap(source);
  const functions: FunctionSite[] = [];
  const loops: LoopSite[] = [];
  const variables: VariableSite[] = [];

  const count = (scope: Scope, kind: string): number => {
    const n = (scope.counters.get(kind) ?? 0) + 1;
    scope.counters.set(kind, n);
    return n;
  };

  const push = (
    node: SyntaxNode,
    fields: Pick<FunctionSite, 'name' | 'qualifiedName' | 'kind' | 'params'>,
    body: SyntaxNode | null,
    bodyStart: number,
    wrap: RubyWrap | null,
    skip: string | null,
  ): void => {
    const reason = skip ?? (node.hasError ? 'syntax error inside the function' : null);
    const site: FunctionSite = {
      index: functions.length,
      ...fields,
      span: map.nodeSpan(node),
      header: map.span(node.startIndex, bodyStart),
      body: body === null ? null : map.span(bodyStart, node.endIndex),
      exits: exitsOf(node, body, map, wrap),
      async: false,
      generator: false,
      skip: reason,
    };
    functions.push(site);
    if (reason === null && wrap !== null) WRAPS.set(site, wrap);
  };

  const method = (node: SyntaxNode, scope: Scope): Scope => {
    const name = node.childForFieldName('name')?.text ?? '?';
    const object = node.childForFieldName('object');
    const params = node.childForFieldName('parameters');
    let qualifiedName: string;
    if (object !== null) {
      const own = scope.path.split('::').pop();
      const target =
        object.type === 'self'
          ? scope.path || 'main'
          : object.text === own
            ? scope.path
            : stripColons(object.text);
      qualifiedName = `${target}.${name}`;
    } else if (scope.singleton !== null) qualifiedName = `${scope.singleton}.${name}`;
    else qualifiedName = scope.path === '' ? name : `${scope.path}#${name}`;
    const kind: FunctionSite['kind'] =
      name === 'initialize' && object === null
        ? 'constructor'
        : scope.path === '' && object === null
          ? 'function'
          : 'method';
    const signatureEnd = (params ?? node.childForFieldName('name') ?? node).endIndex;
    const equals = node.children.find((c) => !c.isNamed && c.type === '=');
    const body = node.childForFieldName('body');
    const last = node.children[node.children.length - 1];
    let wrap: RubyWrap | null = null;
    let skip: string | null = null;
    if (equals !== undefined && body !== null) {
      wrap = { form: 'endless', open: body.startIndex, close: body.endIndex, clauses: false, depth: 0 };
    } else if (last?.type === 'end' && !last.isNamed) {
      const clauses = body?.namedChildren.some(isClause) ?? false;
      wrap = { form: 'method', open: signatureEnd, close: last.startIndex, clauses, depth: 0 };
    } else skip = 'no closing end';
    const fields = { name, qualifiedName, kind, params: paramNames(params) };
    push(
      node,
      fields,
      body,
      equals !== undefined && body !== null ? body.startIndex : signatureEnd,
      wrap,
      skip,
    );
    return {
      path: scope.path,
      owner: qualifiedName,
      singleton: null,
      inDef: true,
      depth: 0,
      counters: new Map(),
    };
  };

  /** A do...end or brace block (`block` node), possibly the body of a `->` lambda (`lambda`). */
  const block = (node: SyntaxNode, lambda: SyntaxNode | null, scope: Scope): Scope => {
    const call = lambda === null ? node.parent : null;
    const called = call?.type === 'call' ? callName(call) : null;
    const isLambda = lambda !== null || called === 'lambda';
    const owner = scope.owner ?? (scope.path || '<main>');
    let name: string;
    let qualifiedName: string;
    let kind: FunctionSite['kind'] = isLambda ? 'lambda' : 'closure';
    const defined =
      call !== null && (called === 'define_method' || called === 'define_singleton_method')
        ? definedName(call)
        : null;
    if (defined !== null && !scope.inDef) {
      name = defined;
      const target = scope.singleton ?? (scope.path || 'main');
      qualifiedName = called === 'define_method' ? `${target}#${defined}` : `${target}.${defined}`;
      kind = 'method';
    } else {
      const label = isLambda ? 'lambda' : 'block';
      name = `${label}${count(scope, label)}`;
      qualifiedName = `${owner}.${name}`;
    }
    const params = node.childForFieldName('parameters');
    const braces = node.type === 'block';
    const opening = node.children[0];
    const closing = node.children[node.children.length - 1];
    const body = node.childForFieldName('body');
    const depth = scope.depth + 1;
    let skip: string | null = null;
    if (braces && lambda === null && (called === null || !FUNCTION_OBJECT_CALLS.has(called)))
      skip = BRACE_BLOCK_SKIP;
    const open = (params ?? opening ?? node).endIndex;
    const closeToken = braces ? '}' : 'end';
    let wrap: RubyWrap | null = null;
    if (closing === undefined || closing.type !== closeToken || closing.isNamed)
      skip ??= `no closing ${closeToken}`;
    else {
      const clauses = body?.namedChildren.some(isClause) ?? false;
      wrap = { form: 'block', open, close: closing.startIndex, clauses, depth };
    }
    const site = lambda ?? node;
    const lambdaParams = lambda?.childForFieldName('parameters') ?? null;
    push(
      site,
      { name, qualifiedName, kind, params: paramNames(lambdaParams ?? params) },
      body,
      open,
      wrap,
      skip,
    );
    // `Point = Struct.new(:x) do ... end` (or Class.new / Module.new / Data.define): defs inside are Point's.
    const assigned = call?.parent?.type === 'assignment' ? call.parent.childForFieldName('left') : null;
    const path =
      called !== null && CLASS_MAKERS.has(called) && assigned?.type === 'constant'
        ? scope.path === ''
          ? assigned.text
          : `${scope.path}::${assigned.text}`
        : scope.path;
    const singleton = path === scope.path ? scope.singleton : null;
    return { path, owner: qualifiedName, singleton, inDef: scope.inDef, depth, counters: new Map() };
  };

  const visit = (node: SyntaxNode, scope: Scope): void => {
    let next = scope;
    if (!node.isNamed) return;
    if (node.type === 'method' || node.type === 'singleton_method') next = method(node, scope);
    else if (node.type === 'lambda') {
      const body = node.childForFieldName('body');
      if (body !== null) {
        next = block(body, node, scope);
        for (const child of body.children) visit(child, next);
        for (const child of node.children) if (child !== body) visit(child, scope);
        return;
      }
    } else if (node.type === 'do_block' || node.type === 'block') next = block(node, null, scope);
    else if (SCOPE_GATES.has(node.type)) {
      if (node.type === 'singleton_class') {
        const value = node.childForFieldName('value');
        const target = value?.type === 'self' ? scope.path || 'main' : stripColons(value?.text ?? '?');
        next = {
          path: scope.path,
          owner: null,
          singleton: target,
          inDef: false,
          depth: 0,
          counters: new Map(),
        };
      } else {
        const name = stripColons(node.childForFieldName('name')?.text ?? '?');
        const path = scope.path === '' ? name : `${scope.path}::${name}`;
        next = { path, owner: null, singleton: null, inDef: false, depth: 0, counters: new Map() };
      }
    } else if (LOOP_TYPES.has(node.type))
      loops.push({ kind: LOOP_TYPES.get(node.type)!, span: map.nodeSpan(node) });
    else if (node.type === 'assignment' || node.type === 'operator_assignment') {
      const left = node.childForFieldName('left');
      if (left?.type === 'identifier') variables.push({ name: left.text, span: map.nodeSpan(left) });
    }
    for (const child of node.children) visit(child, next);
  };
  visit(root, { path: '', owner: null, singleton: null, inDef: false, depth: 0, counters: new Map() });
  return { language: 'ruby', path: relPath, functions, loops, variables };
}

const NESTED = new Set([
  'method',
  'singleton_method',
  'lambda',
  'do_block',
  'block',
  'class',
  'module',
  'singleton_class',
]);

/** Returns and raises of a function's own body (not of nested defs and blocks), and the implicit end. */
function exitsOf(
  node: SyntaxNode,
  body: SyntaxNode | null,
  map: SourceMap,
  wrap: RubyWrap | null,
): ExitSite[] {
  const exits: ExitSite[] = [];
  const walk = (n: SyntaxNode): void => {
    if (NESTED.has(n.type)) return;
    if (n.isNamed && (n.type === 'return' || n.type === 'next' || n.type === 'break'))
      exits.push({ kind: 'return', span: map.nodeSpan(n) });
    else if (n.type === 'call' && n.childForFieldName('receiver') === null) {
      const name = n.childForFieldName('method')?.text;
      if (name === 'raise' || name === 'fail') exits.push({ kind: 'throw', span: map.nodeSpan(n) });
    } else if (
      n.type === 'identifier' &&
      (n.text === 'raise' || n.text === 'fail') &&
      n.parent?.type !== 'call'
    )
      exits.push({ kind: 'throw', span: map.nodeSpan(n) });
    for (const child of n.children) walk(child);
  };
  if (body !== null) walk(body);
  if (wrap !== null) {
    const end = wrap.form === 'endless' ? wrap.close : node.endIndex;
    exits.push({ kind: 'implicit', span: map.span(wrap.close, end) });
  }
  return exits;
}
