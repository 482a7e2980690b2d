/**
 * Analysis shared by the C and C++ modules (tree-sitter `c` / `cpp`): function definitions, C++ methods
 * (qualified `ns::Class::method`, constructors, destructors, operators, templates, friends), lambdas with
 * block bodies and GNU C nested functions, each with its exits, plus loops and local variables.
 *
 * Not instrumented, each with its reason: defaulted / deleted definitions (no body), `constexpr` and
 * `consteval` functions and lambdas, and lambdas in constant-evaluated places (the guard is not a literal
 * type and calls the runtime: constant evaluation would fail), `naked` functions (no prologue to put code
 * in), C `inline` definitions without `static` (C11 6.7.4p3: they may not refer to the runtime's
 * internal-linkage functions), and anything inside a region the parser could not read.
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
import { rememberPlacement } from './c-placement.js';

export type CLanguage = 'c' | 'cpp';

/** Declarator wrappers whose `declarator` leads to the name. */
const WRAPPERS = new Set([
  'function_declarator',
  'pointer_declarator',
  'reference_declarator',
  'parenthesized_declarator',
  'attributed_declarator',
  'array_declarator',
]);
const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);
/** Nodes whose insides belong to another function (exits are not theirs). */
const OTHER_FUNCTION = new Set(['function_definition', 'lambda_expression']);
const CLASS_LIKE = new Set(['class_specifier', 'struct_specifier', 'union_specifier']);
/** Places whose lambdas may run at compile time. */
const CONSTANT_CONTEXT = new Set(['static_assert_declaration', 'template_argument_list', 'enumerator']);

interface Scope {
  /** Qualified prefix (`ns::Class`), '' at file scope. */
  prefix: string;
  /** The class name when directly inside a class body. */
  className: string | null;
  /** The enclosing function site, for lambdas and nested functions. */
  enclosing: FunctionSite | null;
  /** Why functions inside cannot be instrumented (a constexpr enclosing function, ...). */
  inherited: string | null;
}

const squeeze = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The node that names a function: follows declarator wrappers to the innermost name. */
function nameNode(declarator: SyntaxNode | null): { name: SyntaxNode | null; fn: SyntaxNode | null } {
  let node = declarator;
  let fn: SyntaxNode | null = null;
  while (node !== null && WRAPPERS.has(node.type)) {
    if (node.type === 'function_declarator') fn = node;
    node = node.childForFieldName('declarator') ?? node.namedChildren[0] ?? null;
  }
  return { name: node, fn };
}

function paramNames(list: SyntaxNode | null): string[] {
  if (list === null) return [];
  const names: string[] = [];
  for (const param of list.namedChildren) {
    if (param.type === 'identifier')
      names.push(param.text); // K&R
    else if (param.type === 'variadic_parameter' || param.text === '...') names.push('...');
    else if (param.type.endsWith('parameter_declaration')) {
      const { name } = nameNode(param.childForFieldName('declarator'));
      if (name !== null && /identifier$/.test(name.type)) names.push(name.text);
      else if (name?.type === 'variadic_declarator') names.push(name.text);
    }
  }
  return names;
}

/** The text of the specifiers before the declarator (storage class, qualifiers, attributes). */
function specifiers(def: SyntaxNode): string {
  const parts: string[] = [];
  for (const [i, child] of def.children.entries()) {
    const field = def.fields[i];
    if (field === 'declarator' || field === 'body') break;
    if (field !== 'type') parts.push(child.text);
  }
  return squeeze(parts.join(' '));
}

const hasWord = (text: string, ...words: string[]): boolean =>
  words.some((word) => new RegExp(`(^|[^\\w])${word}([^\\w]|$)`).test(text));

export class CAnalyzer {
  private readonly map: SourceMap;
  private readonly functions: FunctionSite[] = [];
  private readonly loops: LoopSite[] = [];
  private readonly variables: VariableSite[] = [];
  private readonly namespaces = new Set<string>();
  private readonly lambdaNames = new Map<string, number>();
  /** The top-level item of each instrumentable function, by the function's start index. */
  private readonly topLevel = new Map<number, SyntaxNode>();

  constructor(
    private readonly language: CLanguage,
    private readonly source: string,
    private readonly relPath: string,
  ) {
    this.map = new SourceMap(source);
  }

  analyze(root: SyntaxNode): FileAnalysis {
    this.collectNamespaces(root);
    this.walk(root, { prefix: '', className: null, enclosing: null, inherited: null }, null);
    rememberPlacement(this.source, root, [...this.topLevel.values()]);
    return {
      language: this.language,
      path: this.relPath,
      functions: this.functions,
      loops: this.loops,
      variables: this.variables,
    };
  }

  private collectNamespaces(root: SyntaxNode): void {
    const stack = [root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.type === 'namespace_definition') {
        const name = node.childForFieldName('name');
        for (const part of (name?.text ?? '').split('::')) if (part !== '') this.namespaces.add(part.trim());
      }
      for (const child of node.namedChildren) stack.push(child);
    }
  }

  private walk(node: SyntaxNode, scope: Scope, top: SyntaxNode | null): void {
    const item = top ?? (node.parent?.type === 'translation_unit' ? node : null);
    if (node.type === 'ERROR') return; // nothing inside a misparse is touched
    if (node.type === 'function_definition' || node.type === 'lambda_expression') {
      const site = this.site(node, scope, item);
      const inner = this.innerScope(node, scope, site);
      for (const child of node.namedChildren) this.walk(child, inner, item);
      return;
    }
    if (LOOPS.has(node.type))
      this.loops.push({ kind: node.type.replace(/_statement$|_loop$/, ''), span: this.span(node) });
    if (node.type === 'declaration' && scope.enclosing !== null) this.variable(node);
    let next = scope;
    if (node.type === 'namespace_definition') {
      const name = node.childForFieldName('name')?.text ?? '(anonymous namespace)';
      next = { ...scope, prefix: join(scope.prefix, squeeze(name)), className: null };
    } else if (CLASS_LIKE.has(node.type) && node.childForFieldName('body') !== null) {
      const name = node.childForFieldName('name')?.text ?? '(anonymous)';
      next = {
        ...scope,
        prefix: join(scope.prefix, squeeze(name)),
        className: squeeze(name).replace(/<.*$/, ''),
      };
    }
    for (const child of node.namedChildren) this.walk(child, next, item);
  }

  private innerScope(node: SyntaxNode, scope: Scope, site: FunctionSite): Scope {
    const inherited = site.skip?.startsWith('constexpr')
      ? 'inside a constexpr/consteval function'
      : scope.inherited;
    const prefix = node.type === 'lambda_expression' ? site.qualifiedName : scope.prefix;
    return { prefix, className: null, enclosing: site, inherited };
  }

  private site(node: SyntaxNode, scope: Scope, top: SyntaxNode | null): FunctionSite {
    const lambda = node.type === 'lambda_expression';
    const body = node.childForFieldName('body');
    const block = body?.type === 'try_statement' ? body.childForFieldName('body') : body;
    const declarator = node.childForFieldName('declarator');
    let name: string;
    let qualifiedName: string;
    let kind: FunctionSite['kind'];
    let params: string[];
    let skip: string | null = scope.inherited;
    if (lambda) {
      const line = this.map.position(node.startIndex).line;
      const base = `${scope.enclosing?.qualifiedName ?? (scope.prefix || '(file)')}::<lambda@${line}>`;
      const seen = (this.lambdaNames.get(base) ?? 0) + 1;
      this.lambdaNames.set(base, seen);
      name = '<lambda>';
      qualifiedName = seen === 1 ? base : `${base}#${seen}`;
      kind = 'lambda';
      params = paramNames(declarator?.childForFieldName('parameters') ?? null);
      const head = this.source.slice(node.startIndex, block?.startIndex ?? node.endIndex);
      if (hasWord(head, 'constexpr', 'consteval'))
        skip ??= 'constexpr/consteval lambda (may run at compile time)';
      if (this.constantContext(node))
        skip ??= 'lambda in a constant-evaluated context (may run at compile time)';
    } else {
      const found = nameNode(declarator);
      const nameText = found.name === null ? '(unnamed)' : nameOf(found.name);
      const qualified = nameText.includes('::');
      const parts = splitQualified(nameText);
      name = parts[parts.length - 1] ?? nameText;
      qualifiedName =
        scope.enclosing !== null
          ? `${scope.enclosing.qualifiedName}::${nameText}`
          : join(scope.prefix, nameText);
      params = paramNames(paramsOf(found.name) ?? found.fn?.childForFieldName('parameters') ?? null);
      const owner = (qualified ? parts[parts.length - 2] : scope.className) ?? null;
      const ctorName = owner?.replace(/<.*$/, '') ?? null;
      if (scope.enclosing !== null) kind = 'closure';
      else if (ctorName !== null && name === ctorName) kind = 'constructor';
      else if (scope.className !== null || (owner !== null && qualified && !this.namespaces.has(owner)))
        kind = 'method';
      else kind = 'function';
      const specs = specifiers(node);
      const prefixText = node.parent?.type === 'template_declaration' ? specifiers(node.parent) : '';
      if (hasWord(`${specs} ${prefixText}`, 'constexpr', 'consteval'))
        skip ??= 'constexpr/consteval function (the guard cannot run in constant evaluation)';
      if (/\bnaked\b/.test(specs)) skip ??= 'naked function (no prologue for the guard)';
      if (this.language === 'c' && hasWord(specs, 'inline') && !hasWord(specs, 'static'))
        skip ??=
          'C inline definition without static (C11 6.7.4p3: it may not call the static inline runtime)';
    }
    if (block === null || block === undefined) skip ??= 'defaulted or deleted: no body';
    else if (block.type !== 'compound_statement') skip ??= `body is a ${block.type}`;
    else if (block.hasError || block.children.some((c) => c.isMissing))
      skip ??= 'the body does not parse cleanly';
    const start = node.startIndex;
    const bodyStart = block?.startIndex ?? node.endIndex;
    const site: FunctionSite = {
      index: this.functions.length,
      name,
      qualifiedName,
      kind,
      params,
      span: this.span(node),
      header: this.map.span(start, bodyStart),
      body: block && block.type === 'compound_statement' ? this.span(block) : null,
      exits: block ? this.exits(block) : [],
      async: block ? this.contains(block, 'co_await_expression') : false,
      generator: block ? this.contains(block, 'co_yield_statement') : false,
      skip,
    };
    this.functions.push(site);
    if (site.skip === null && top !== null && !this.topLevel.has(top.startIndex))
      this.topLevel.set(top.startIndex, top);
    return site;
  }

  private constantContext(node: SyntaxNode): boolean {
    for (let up = node.parent; up !== null; up = up.parent) {
      if (CONSTANT_CONTEXT.has(up.type)) return true;
      if (up.type === 'declaration' || up.type === 'field_declaration')
        return hasWord(specifiers(up), 'constexpr', 'consteval', 'constinit');
      if (OTHER_FUNCTION.has(up.type) || up.type === 'compound_statement') return false;
    }
    return false;
  }

  private exits(block: SyntaxNode): ExitSite[] {
    const exits: ExitSite[] = [];
    const stack = [...block.namedChildren];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (OTHER_FUNCTION.has(node.type) || CLASS_LIKE.has(node.type)) continue;
      if (node.type === 'return_statement' || node.type === 'co_return_statement')
        exits.push({ kind: 'return', span: this.span(node) });
      else if (node.type === 'throw_statement' || node.type === 'throw_expression')
        exits.push({ kind: 'throw', span: this.span(node) });
      else if (node.type === 'co_yield_statement') exits.push({ kind: 'yield', span: this.span(node) });
      for (const child of node.namedChildren) stack.push(child);
    }
    exits.sort((a, b) => a.span.start.byte - b.span.start.byte);
    const last = block.namedChildren.filter((c) => c.type !== 'comment').at(-1);
    if (last === undefined || !/^(return|throw|co_return)_statement$/.test(last.type)) {
      const close = block.endIndex - 1;
      exits.push({ kind: 'implicit', span: this.map.span(close, close + 1) });
    }
    return exits;
  }

  private contains(block: SyntaxNode, type: string): boolean {
    const stack = [...block.namedChildren];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.type === type) return true;
      if (!OTHER_FUNCTION.has(node.type)) stack.push(...node.namedChildren);
    }
    return false;
  }

  private variable(node: SyntaxNode): void {
    for (const declarator of node.childrenForFieldName('declarator')) {
      const target =
        declarator.type === 'init_declarator' ? declarator.childForFieldName('declarator') : declarator;
      const { name, fn } = nameNode(target);
      if (fn === null && name !== null && name.type === 'identifier')
        this.variables.push({ name: name.text, span: this.span(declarator) });
    }
  }

  private span(node: SyntaxNode) {
    return this.map.nodeSpan(node);
  }
}

/** A function's name as written: `ns::Class::method`, `operator==`, `~T`, `operator bool`. */
function nameOf(node: SyntaxNode): string {
  if (node.type === 'operator_cast') return `operator ${squeeze(node.childForFieldName('type')?.text ?? '')}`;
  if (node.type === 'qualified_identifier') {
    const scope = node.childForFieldName('scope');
    const name = node.childForFieldName('name');
    if (name !== null) return `${scope === null ? '' : squeeze(scope.text)}::${nameOf(name)}`;
  }
  return squeeze(node.text);
}

/** The parameters of a conversion operator (its declarator is not a function_declarator). */
function paramsOf(node: SyntaxNode | null): SyntaxNode | null {
  if (node === null) return null;
  if (node.type === 'operator_cast')
    return node.childForFieldName('declarator')?.childForFieldName('parameters') ?? null;
  if (node.type === 'qualified_identifier') return paramsOf(node.childForFieldName('name'));
  return null;
}

const join = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}::${name}`);

/** `a::b<c::d>::e` → ['a', 'b<c::d>', 'e'] (template arguments kept whole). */
export function splitQualified(name: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '<') depth++;
    else if (ch === '>' && depth > 0) depth--;
    if (depth === 0 && ch === ':' && name[i + 1] === ':') {
      parts.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  parts.push(current.trim());
  return parts.filter((part, i) => part !== '' || i > 0);
}

/** Pure analysis of one C or C++ file. */
export function analyzeC(
  language: CLanguage,
  root: SyntaxNode,
  source: string,
  relPath: string,
): FileAnalysis {
  return new CAnalyzer(language, source, relPath).analyze(root);
}
