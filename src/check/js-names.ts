/**
 * JavaScript/TypeScript name resolution: what an expression refers to, as qualified names, through
 * `require`/`import()` with constant names, every import form, destructuring (`const { exec: e } = cp`),
 * aliases (`const r = require`, `const g = globalThis`), `globalThis.x` / `globalThis["x"]`, `Reflect.get`,
 * `createRequire`, indirect calls (`(0, eval)`), `a || b`, `c ? a : b` and TypeScript casts. The alias table
 * is file-wide and ignores scopes: a name stands for everything it is ever bound to.
 */
import { AliasTable } from './alias-table.js';
import type { SyntaxNode } from './parsers.js';
import { callArgs, jsFold, jsName, member, moduleName, propertyName, unwrap } from './js-fold.js';
import { JS_GLOBALS, REQUIRE_FUNCTIONS } from './js-tables.js';

export class JsNames extends AliasTable {
  constructor(root: SyntaxNode) {
    super();
    this.build(root);
  }

  protected resolve(node: SyntaxNode, depth: number): string[] {
    const field = (name: string): SyntaxNode | null => node.childForFieldName(name);
    switch (node.type) {
      case 'identifier':
      case 'shorthand_property_identifier': {
        const name = jsName(node);
        const out = [...(this.aliases.get(name) ?? [])];
        if (JS_GLOBALS.has(name)) out.push(name);
        return out;
      }
      case 'member_expression':
      case 'subscript_expression': {
        const name = propertyName(node);
        return name === undefined ? [] : member(this.qualify(field('object'), depth), name);
      }
      case 'call_expression':
        return this.call(node, depth);
      case 'parenthesized_expression':
      case 'await_expression':
      case 'as_expression':
      case 'satisfies_expression':
      case 'non_null_expression':
      case 'type_assertion':
        return this.qualify(
          unwrap(node.type === 'await_expression' ? (node.namedChildren[0] ?? null) : node),
          depth,
        );
      case 'sequence_expression':
        return this.qualify(node.namedChildren[node.namedChildren.length - 1] ?? null, depth);
      case 'assignment_expression':
        return this.qualify(field('right'), depth);
      case 'ternary_expression':
        return [...this.qualify(field('consequence'), depth), ...this.qualify(field('alternative'), depth)];
      case 'binary_expression': {
        const op = field('operator')?.type;
        if (op !== '||' && op !== '&&' && op !== '??') return [];
        return [...this.qualify(field('left'), depth), ...this.qualify(field('right'), depth)];
      }
      default:
        return [];
    }
  }

  /**
   * The function a call really calls and its arguments: `f.call(t, a)` and `f.apply(t, [a])` and
   * `Reflect.apply(f, t, [a])` call `f(a)`. `isImport` for `import(...)`.
   */
  callee(node: SyntaxNode, depth = 0): { fn: SyntaxNode | null; args: SyntaxNode[]; isImport: boolean } {
    let fn = node.childForFieldName('function');
    let args = callArgs(node);
    for (let hops = 0; hops < 4; hops++) {
      const inner = unwrap(fn);
      const property = inner === null ? undefined : propertyName(inner);
      const list = (arg: SyntaxNode | undefined): SyntaxNode[] => {
        const array = unwrap(arg ?? null);
        return array?.type === 'array' ? array.namedChildren : [];
      };
      if (this.qualify(inner, depth).includes('Reflect.apply')) {
        fn = args[0] ?? null;
        args = list(args[2]);
      } else if (inner !== null && (property === 'call' || property === 'apply')) {
        fn = inner.childForFieldName('object');
        args = property === 'call' ? args.slice(1) : list(args[1]);
      } else break;
    }
    return { fn, args, isImport: fn?.type === 'import' };
  }

  private call(node: SyntaxNode, depth: number): string[] {
    const { fn, args, isImport } = this.callee(node, depth);
    const first = jsFold(args[0] ?? null).value;
    if (isImport) return first === undefined ? [] : [moduleName(first)];
    const inner = unwrap(fn);
    if (inner !== null && propertyName(inner) === 'bind')
      return this.qualify(inner.childForFieldName('object'), depth);
    const out: string[] = [];
    for (const name of this.qualify(fn, depth)) {
      if (REQUIRE_FUNCTIONS.has(name) && first !== undefined) out.push(moduleName(first));
      else if (name === 'module.createRequire') out.push('require');
      else if (name === 'Reflect.get') {
        const key = jsFold(args[1] ?? null).value;
        if (key !== undefined) out.push(...member(this.qualify(args[0] ?? null, depth), key));
      }
    }
    return out;
  }

  protected collect(node: SyntaxNode): void {
    switch (node.type) {
      case 'variable_declarator':
        return this.bindPattern(
          node.childForFieldName('name'),
          this.qualify(node.childForFieldName('value')),
        );
      case 'assignment_expression':
        return this.bindPattern(
          unwrap(node.childForFieldName('left')),
          this.qualify(node.childForFieldName('right')),
        );
      case 'import_statement': {
        const source = jsFold(node.childForFieldName('source')).value;
        const clause = node.namedChildren.find((child) => child.type === 'import_clause');
        if (source !== undefined && clause !== undefined) this.bindImport(clause, moduleName(source));
        return;
      }
      case 'import_require_clause': {
        const source = jsFold(node.childForFieldName('source')).value;
        const name = node.namedChildren.find((child) => child.type === 'identifier');
        if (source !== undefined && name !== undefined) this.bind(jsName(name), [moduleName(source)]);
        return;
      }
    }
  }

  private bindImport(clause: SyntaxNode, module: string): void {
    for (const part of clause.namedChildren) {
      if (part.type === 'identifier') this.bind(jsName(part), [module]);
      else if (part.type === 'namespace_import') {
        const name = part.namedChildren.find((child) => child.type === 'identifier');
        if (name) this.bind(jsName(name), [module]);
      } else if (part.type === 'named_imports') {
        for (const spec of part.namedChildren) {
          const imported = spec.childForFieldName('name');
          const local = spec.childForFieldName('alias') ?? imported;
          const name = imported === null ? undefined : (jsFold(imported).value ?? jsName(imported));
          if (local !== null && name !== undefined) this.bind(jsName(local), member([module], name));
        }
      }
    }
  }

  /** Binds an identifier, or each name an object/array pattern takes out of `values`. */
  private bindPattern(pattern: SyntaxNode | null, values: string[]): void {
    if (pattern === null || values.length === 0) return;
    if (pattern.type === 'identifier') return this.bind(jsName(pattern), values);
    if (pattern.type === 'assignment_pattern')
      return this.bindPattern(pattern.childForFieldName('left'), values);
    if (pattern.type !== 'object_pattern') return;
    for (const prop of pattern.namedChildren) {
      if (prop.type === 'shorthand_property_identifier_pattern')
        this.bind(jsName(prop), member(values, jsName(prop)));
      else if (prop.type === 'object_assignment_pattern') {
        const left = prop.childForFieldName('left');
        if (left) this.bind(jsName(left), member(values, jsName(left)));
      } else if (prop.type === 'pair_pattern') {
        const key = prop.childForFieldName('key');
        const name =
          key === null ? undefined : key.type === 'property_identifier' ? jsName(key) : jsFold(key).value;
        if (name !== undefined) this.bindPattern(prop.childForFieldName('value'), member(values, name));
      }
    }
  }
}
