/**
 * Python name resolution for the checker: what an expression refers to, as qualified names, through
 * imports (`import os as o`, `from os import system as s`, `from os import *`), assignments (`x = o.system`,
 * `a, b = os.popen, os.system`, walrus, `for f in (...)`), `getattr` with a literal name, `__import__` and
 * `importlib.import_module` with literals, `globals()[...]`, `vars(m)[...]`, `sys.modules[...]` and
 * `__builtins__`. The alias table is module-wide and ignores scopes: a name may stand for everything it is
 * ever bound to, so binding order and nesting cannot hide a use.
 */
import { AliasTable } from './alias-table.js';
import type { SyntaxNode } from './parsers.js';
import { dotted, positionalArgs, pyFold, pyIdent } from './python-fold.js';
import { PY_BUILTINS, REEXPORTED_MODULES } from './python-tables.js';

const GLOBALS = '<globals>';

export class PyNames extends AliasTable {
  private readonly stars = new Set<string>();
  /** Qualified names bound by import statements (modules, or names taken from them). */
  readonly imported = new Set<string>(['builtins']);

  constructor(root: SyntaxNode) {
    super();
    this.build(root);
  }

  /** What a bare name refers to: its aliases, names from `from m import *`, the builtin of that name. */
  qualifyName(name: string): string[] {
    const out = [...(this.aliases.get(name) ?? [])];
    for (const star of this.stars) out.push(`${star}.${name}`);
    if (PY_BUILTINS.has(name)) out.push(`builtins.${name}`);
    if (name === '__builtins__') out.push('builtins');
    return out;
  }

  protected resolve(node: SyntaxNode, depth: number): string[] {
    switch (node.type) {
      case 'identifier':
        return this.qualifyName(pyIdent(node));
      case 'attribute': {
        const attr = node.childForFieldName('attribute');
        return attr ? this.member(this.qualify(node.childForFieldName('object'), depth), pyIdent(attr)) : [];
      }
      case 'subscript':
        return this.subscript(
          this.qualify(node.childForFieldName('value'), depth),
          pyFold(node.childForFieldName('subscript')).value,
        );
      case 'call':
        return this.call(node, depth);
      case 'parenthesized_expression':
        return this.qualify(node.namedChildren[0] ?? null, depth);
      case 'named_expression':
        return this.qualify(node.childForFieldName('value'), depth);
      case 'conditional_expression':
      case 'boolean_operator':
        return node.namedChildren.flatMap((child) => this.qualify(child, depth));
      default:
        return [];
    }
  }

  member(objects: string[], attr: string): string[] {
    const out = objects.filter((q) => q !== GLOBALS).map((q) => `${q}.${attr}`);
    if (objects.length > 0 && REEXPORTED_MODULES.has(attr)) out.push(attr);
    return out;
  }

  private subscript(objects: string[], key: string | undefined): string[] {
    if (key === undefined) return [];
    return objects.flatMap((q) => {
      if (q === GLOBALS) return this.qualifyName(key);
      if (q === 'sys.modules') return [key];
      if (q === 'builtins') return [`builtins.${key}`];
      if (q.endsWith('.__dict__')) return this.member([q.slice(0, -'.__dict__'.length)], key);
      return [];
    });
  }

  private call(node: SyntaxNode, depth: number): string[] {
    const fn = node.childForFieldName('function');
    const fns = this.qualify(fn, depth);
    const args = positionalArgs(node);
    const literal = (i: number): string | undefined => pyFold(args[i] ?? null).value;
    const out: string[] = [];
    if (fn?.type === 'call') {
      // operator.attrgetter("system")(os) is os.system, as is operator.methodcaller("system", "id")(os).
      const getters = this.qualify(fn.childForFieldName('function'), depth);
      const name = pyFold(positionalArgs(fn)[0] ?? null).value;
      if (
        name !== undefined &&
        getters.some((g) => g === 'operator.attrgetter' || g === 'operator.methodcaller')
      ) {
        out.push(...this.member(this.qualify(args[0] ?? null, depth), name));
      }
    }
    for (const fn of fns) {
      const first = literal(0);
      if ((fn === 'builtins.__import__' || fn === 'importlib.__import__') && first !== undefined) {
        out.push(first, first.split('.')[0] ?? first);
      } else if (fn === 'importlib.import_module' && first !== undefined) out.push(first);
      else if (fn === 'builtins.getattr') {
        const name = literal(1);
        if (name !== undefined) out.push(...this.member(this.qualify(args[0] ?? null, depth), name));
      } else if (fn === 'builtins.globals' || fn === 'builtins.locals') out.push(GLOBALS);
      else if (fn === 'builtins.vars') {
        if (args.length === 0) out.push(GLOBALS);
        else out.push(...this.qualify(args[0] ?? null, depth).map((q) => `${q}.__dict__`));
      }
    }
    return out;
  }

  /** True when a qualified name is a module (or builtins): its `__dict__` is a way around the checks. */
  isModule(names: string[]): boolean {
    return names.some((q) => this.imported.has(q) || q === 'builtins' || REEXPORTED_MODULES.has(q));
  }

  protected collect(node: SyntaxNode): void {
    switch (node.type) {
      case 'import_statement':
        for (const name of node.childrenForFieldName('name')) {
          if (name.type === 'aliased_import') {
            const full = dotted(name.childForFieldName('name') ?? name);
            const alias = name.childForFieldName('alias');
            if (alias) this.bind(pyIdent(alias), [full]);
            this.imported.add(full);
          } else {
            const full = dotted(name);
            const top = full.split('.')[0] ?? full;
            this.bind(pyIdent(name).split('.')[0]?.trim() ?? top, [top]);
            this.imported.add(top).add(full);
          }
        }
        return;
      case 'import_from_statement':
        return this.collectFrom(node);
      case 'assignment':
      case 'for_statement':
        return this.collectAssignment(
          node.childForFieldName('left'),
          node.childForFieldName('right'),
          node.type,
        );
      case 'named_expression': {
        const name = node.childForFieldName('name');
        if (name) this.bind(pyIdent(name), this.qualify(node.childForFieldName('value')));
        return;
      }
    }
  }

  private collectFrom(node: SyntaxNode): void {
    const module = node.childForFieldName('module_name');
    if (module === null || module.type === 'relative_import') return;
    const from = dotted(module);
    if (node.namedChildren.some((child) => child.type === 'wildcard_import')) this.stars.add(from);
    for (const name of node.childrenForFieldName('name')) {
      const target = name.type === 'aliased_import' ? name.childForFieldName('name') : name;
      const local = name.type === 'aliased_import' ? name.childForFieldName('alias') : name;
      if (target === null || local === null) continue;
      const full = `${from}.${dotted(target)}`;
      this.bind(pyIdent(local), [full]);
      this.imported.add(full);
    }
  }

  private collectAssignment(left: SyntaxNode | null, right: SyntaxNode | null, kind: string): void {
    if (left === null || right === null) return;
    if (left.type === 'identifier') {
      const values =
        kind === 'for_statement' && ['list', 'tuple', 'set'].includes(right.type)
          ? right.namedChildren
          : [right];
      this.bind(
        pyIdent(left),
        values.flatMap((value) => this.qualify(value)),
      );
      return;
    }
    const targets = ['pattern_list', 'tuple_pattern', 'list_pattern'].includes(left.type)
      ? left.namedChildren
      : [];
    const values = ['expression_list', 'tuple', 'list'].includes(right.type) ? right.namedChildren : [];
    if (kind === 'assignment' && targets.length === values.length) {
      targets.forEach((target, i) => this.collectAssignment(target, values[i] ?? null, kind));
    }
  }
}
