/**
 * Rust analysis (pure): functions (`fn` items at any depth), methods (`Type::method`, `<Type as Trait>::m`,
 * `Trait::m` for default bodies), closures (`owner::{closure#N}`, numbered from 0 per owner as rustc names
 * them), with their exits, loops and `let` variables. Names are qualified within the file: inline modules
 * (`inner::f`), impls, and the functions they are nested in (`outer::helper`); the module path of the file
 * itself is not known without the crate's module tree (the event's `file` says where it is).
 *
 * Each site also records `modDepth`, the inline `mod { }` blocks around it, from which the module builds
 * the path to the file's runtime module (a bare path at the top, one `super::` per inline module).
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

/** A function site plus what insertion needs: the inline modules around it, and where its body's statements start. */
export interface RustFunctionSite extends FunctionSite {
  modDepth: number;
  /** Byte offset after the block's `{` and any inner attributes (`#![...]`); null for expression bodies. */
  insertAt: number | null;
  /** An expression-bodied closure's body as [start, end) bytes; null otherwise. */
  expression: [number, number] | null;
}

/** The analysis plus where the module declaration goes: after the last top-level item (null: none). */
export interface RustFileAnalysis extends FileAnalysis {
  lastItemEnd: number | null;
}

const PANICS = new Set(['panic', 'unreachable', 'todo', 'unimplemented']);
const LOOPS: Record<string, string> = {
  for_expression: 'for',
  while_expression: 'while',
  while_let_expression: 'while let',
  loop_expression: 'loop',
};

export const SKIP = {
  test: 'test code (#[cfg(test)])',
  testFn: 'test function (#[test] / #[bench])',
  constFn: 'const fn (evaluated at compile time: cannot call the runtime)',
  inConst: 'inside a const fn (evaluated at compile time)',
  extern: 'extern block item (declared here, defined in foreign code)',
  naked: '#[naked] function (no Rust code allowed in its body)',
  allocator: 'global allocator method (the runtime allocates)',
  build: 'build script (build.rs runs inside cargo at build time, not in the program)',
} as const;

/** `cfg(test)`, `cfg(all(test, ...))`, but not `cfg(not(test))`. */
function isCfgTest(attribute: string): boolean {
  return /^cfg\s*\(/.test(attribute) && /\btest\b/.test(attribute) && !/not\s*\(\s*test\s*\)/.test(attribute);
}

/** The attributes (`#[...]` text inside the brackets) directly above an item, comments skipped. */
function attributesOf(node: SyntaxNode): string[] {
  const siblings = node.parent?.children ?? [];
  const found: string[] = [];
  for (let i = siblings.indexOf(node) - 1; i >= 0; i--) {
    const sibling = siblings[i];
    if (sibling === undefined) break;
    if (sibling.type === 'line_comment' || sibling.type === 'block_comment') continue;
    if (sibling.type !== 'attribute_item') break;
    found.push(
      sibling.text
        .replace(/^#\s*\[\s*/, '')
        .replace(/\]$/, '')
        .trim(),
    );
  }
  return found;
}

/** Type text without generic arguments (`Stack<T>` → `Stack`, `&'a mut Wrapper<u8>` → `&'a mut Wrapper`). */
function typeName(type: SyntaxNode | null): string {
  if (type === null) return '?';
  if (type.type === 'generic_type') return typeName(type.childForFieldName('type'));
  if (type.type === 'reference_type' || type.type === 'pointer_type') {
    const inner = type.childForFieldName('type');
    const prefix = type.text.slice(0, inner === null ? type.text.length : inner.startIndex - type.startIndex);
    return `${prefix.replace(/\s+/g, ' ')}${typeName(inner)}`;
  }
  return type.text.replace(/\s+/g, ' ');
}

function implName(impl: SyntaxNode): string {
  const self = typeName(impl.childForFieldName('type'));
  const trait = impl.childForFieldName('trait');
  return trait === null ? self : `<${self} as ${trait.text.replace(/\s+/g, ' ')}>`;
}

function paramNames(params: SyntaxNode | null): string[] {
  if (params === null) return [];
  const names: string[] = [];
  for (const param of params.namedChildren) {
    if (param.type === 'self_parameter') names.push('self');
    else if (param.type === 'parameter') names.push(param.childForFieldName('pattern')?.text ?? '_');
    else if (
      param.type !== 'line_comment' &&
      param.type !== 'block_comment' &&
      param.type !== 'attribute_item'
    )
      names.push(param.text);
  }
  return names;
}

function modifiers(fn: SyntaxNode): Set<string> {
  const mods = fn.children.find((child) => child.type === 'function_modifiers');
  return new Set((mods?.children ?? []).map((child) => child.type));
}

/** Returns, `?`, panics of a body (not of the closures and items in it), and the implicit end. */
function exitsOf(body: SyntaxNode, map: SourceMap): ExitSite[] {
  const exits: ExitSite[] = [];
  const walk = (node: SyntaxNode): void => {
    if (node !== body && (node.type === 'closure_expression' || node.type.endsWith('_item'))) return;
    if (node.type === 'return_expression' || node.type === 'try_expression')
      exits.push({ kind: 'return', span: map.nodeSpan(node) });
    else if (node.type === 'macro_invocation') {
      const name = node.childForFieldName('macro')?.text.replace(/^.*::/, '') ?? '';
      if (PANICS.has(name)) exits.push({ kind: 'throw', span: map.nodeSpan(node) });
    }
    for (const child of node.children) walk(child);
  };
  walk(body);
  if (body.type === 'block') {
    const statements = body.namedChildren.filter((c) => !c.type.endsWith('comment'));
    const last = statements[statements.length - 1];
    const returns =
      last?.type === 'return_expression' || last?.namedChildren[0]?.type === 'return_expression';
    if (!returns) exits.push({ kind: 'implicit', span: map.span(body.endIndex - 1, body.endIndex) });
  } else {
    exits.push({ kind: 'implicit', span: map.span(body.endIndex, body.endIndex) });
  }
  return exits;
}

interface Scope {
  /** Qualified prefix of items inside (`inner`, `Stack`, `<T as Tr>`, `outer`), '' at the top. */
  prefix: string;
  /** Owner of closures inside (a function, a static...), with its closure counter. */
  owner: { name: string; closures: number } | null;
  modDepth: number;
  skip: string | null;
  /** Inside `impl GlobalAlloc for ...`. */
  allocator: boolean;
}

const join = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}::${name}`);

export function analyzeRust(root: SyntaxNode, source: string, relPath: string): RustFileAnalysis {
  const map = new SourceMap(source);
  const functions: RustFunctionSite[] = [];
  const loops: LoopSite[] = [];
  const variables: VariableSite[] = [];
  const buildScript = relPath === 'build.rs' || relPath.endsWith('/build.rs');

  const site = (
    node: SyntaxNode,
    scope: Scope,
    name: string,
    qualifiedName: string,
    kind: FunctionSite['kind'],
    skip: string | null,
  ): RustFunctionSite => {
    const body = node.childForFieldName('body');
    const block = body?.type === 'block' ? body : null;
    let insertAt: number | null = null;
    if (block !== null) {
      let after = block.startIndex + 1;
      for (const child of block.namedChildren) {
        if (child.type === 'inner_attribute_item') after = child.endIndex;
        else if (!child.type.endsWith('comment')) break;
      }
      insertAt = map.position(after).byte;
    }
    const params = node.childForFieldName('parameters');
    return {
      index: functions.length,
      name,
      qualifiedName,
      kind,
      params: paramNames(params),
      span: map.nodeSpan(node),
      header: map.span(node.startIndex, body?.startIndex ?? node.endIndex),
      body: block === null ? null : map.nodeSpan(block),
      exits: body === null ? [] : exitsOf(body, map),
      async: modifiers(node).has('async'),
      generator: false,
      skip,
      modDepth: scope.modDepth,
      insertAt,
      expression:
        body === null || block !== null || node.type !== 'closure_expression'
          ? null
          : [map.position(body.startIndex).byte, map.position(body.endIndex).byte],
    };
  };

  const visit = (node: SyntaxNode, scope: Scope): void => {
    let next = scope;
    const attrs =
      node.type.endsWith('_item') || node.type === 'function_signature_item' ? attributesOf(node) : [];
    const testGated = attrs.some(isCfgTest) ? SKIP.test : null;
    switch (node.type) {
      case 'mod_item': {
        const name = node.childForFieldName('name')?.text ?? '?';
        next = {
          ...scope,
          prefix: join(scope.prefix, name),
          modDepth: scope.modDepth + 1,
          skip: scope.skip ?? testGated,
        };
        if (node.childForFieldName('body') === null) return;
        break;
      }
      case 'impl_item': {
        const trait = node.childForFieldName('trait')?.text ?? '';
        next = {
          ...scope,
          prefix: join(scope.prefix, implName(node)),
          skip: scope.skip ?? testGated,
          allocator: /(^|::)GlobalAlloc$/.test(trait),
        };
        break;
      }
      case 'trait_item':
        next = {
          ...scope,
          prefix: join(scope.prefix, node.childForFieldName('name')?.text ?? '?'),
          skip: scope.skip ?? testGated,
        };
        break;
      case 'foreign_mod_item':
        next = { ...scope, skip: scope.skip ?? testGated ?? SKIP.extern };
        break;
      case 'const_item':
      case 'static_item': {
        const name = node.childForFieldName('name')?.text ?? '?';
        next = {
          ...scope,
          owner: { name: join(scope.prefix, name), closures: 0 },
          skip: scope.skip ?? testGated,
        };
        break;
      }
      case 'function_signature_item':
        if (scope.skip === SKIP.extern) {
          const name = node.childForFieldName('name')?.text ?? '?';
          functions.push(site(node, scope, name, join(scope.prefix, name), 'function', SKIP.extern));
        }
        return;
      case 'function_item': {
        const name = node.childForFieldName('name')?.text ?? '?';
        const qualifiedName = join(scope.prefix, name);
        const mods = modifiers(node);
        const method =
          node.parent?.parent?.type === 'impl_item' || node.parent?.parent?.type === 'trait_item';
        const skip =
          scope.skip ??
          testGated ??
          (attrs.some((a) => /^(\w+::)*(test|bench)\b/.test(a)) ? SKIP.testFn : null) ??
          (buildScript ? SKIP.build : null) ??
          (mods.has('const') ? SKIP.constFn : null) ??
          (attrs.some((a) => /^naked\b/.test(a)) ? SKIP.naked : null) ??
          (scope.allocator && method ? SKIP.allocator : null);
        functions.push(site(node, scope, name, qualifiedName, method ? 'method' : 'function', skip));
        const inherited = skip === SKIP.constFn ? SKIP.inConst : skip;
        next = {
          ...scope,
          prefix: qualifiedName,
          owner: { name: qualifiedName, closures: 0 },
          skip: inherited,
          allocator: false,
        };
        break;
      }
      case 'closure_expression': {
        const owner = scope.owner ?? { name: scope.prefix, closures: 0 };
        const name = `{closure#${owner.closures++}}`;
        const qualifiedName = join(owner.name, name);
        functions.push(site(node, scope, name, qualifiedName, 'closure', scope.skip));
        next = { ...scope, owner: { name: qualifiedName, closures: 0 } };
        if (scope.owner === null) scope.owner = owner;
        break;
      }
      case 'let_declaration':
        collectNames(node.childForFieldName('pattern'), map, variables);
        break;
      case 'macro_definition':
      case 'macro_invocation':
        return; // token trees: functions written in macros are not parsed as functions
      default:
        if (LOOPS[node.type] !== undefined)
          loops.push({ kind: LOOPS[node.type] ?? '', span: map.nodeSpan(node) });
    }
    for (const child of node.children) visit(child, next);
  };
  visit(root, { prefix: '', owner: null, modDepth: 0, skip: null, allocator: false });
  const items = root.children.filter((child) => !child.type.endsWith('comment') && child.type !== 'shebang');
  const last = items[items.length - 1];
  const lastItemEnd = last === undefined ? null : map.position(last.endIndex).byte;
  return { language: 'rust', path: relPath, functions, loops, variables, lastItemEnd };
}

function collectNames(pattern: SyntaxNode | null, map: SourceMap, out: VariableSite[]): void {
  if (pattern === null) return;
  if (pattern.type === 'identifier') {
    if (pattern.text !== '_') out.push({ name: pattern.text, span: map.nodeSpan(pattern) });
    return;
  }
  for (const child of pattern.namedChildren) collectNames(child, map, out);
}
