/**
 * Python detectors. Every reference to a dangerous name is a finding, wherever it appears (called, stored,
 * passed on), after aliases are resolved by PyNames: `x = os.system` is flagged where os.system is named,
 * and `x("id")` again where it is called.
 */
import { hasTraversal, insideWorkDirs, isRemoteUrl, systemPath } from './literals.js';
import type { SyntaxNode } from './parsers.js';
import { findNameRule, isField, namedNodes, snippet, type FindingSink } from './report.js';
import { dotted, positionalArgs, pyFold, pyIdent } from './python-fold.js';
import { PyNames } from './python-names.js';
import { INTROSPECTION_ATTRS, NAME_LOOKUPS, PY_NAME_RULES } from './python-tables.js';

/** Where an identifier is being bound or is a keyword, not a use. */
const BINDING_PARENTS = new Set([
  'dotted_name',
  'aliased_import',
  'import_from_statement',
  'parameters',
  'lambda_parameters',
  'typed_parameter',
  'list_splat_pattern',
  'dictionary_splat_pattern',
  'global_statement',
  'nonlocal_statement',
  'pattern_list',
  'tuple_pattern',
  'list_pattern',
  'as_pattern_target',
  'keyword_pattern',
]);
const NAME_FIELDS: Record<string, string> = {
  attribute: 'attribute',
  keyword_argument: 'name',
  default_parameter: 'name',
  typed_default_parameter: 'name',
  function_definition: 'name',
  class_definition: 'name',
  assignment: 'left',
  augmented_assignment: 'left',
  for_statement: 'left',
  named_expression: 'name',
};

function isUse(node: SyntaxNode): boolean {
  const parent = node.parent;
  if (parent === null) return true;
  if (BINDING_PARENTS.has(parent.type)) return false;
  const field = NAME_FIELDS[parent.type];
  return field === undefined || !isField(node, field);
}

const display = (name: string): string => name.replace(/^builtins\./, '');

function describe(node: SyntaxNode, name: string): string {
  const text = snippet(node);
  return text === display(name) ? `\`${text}\`` : `\`${text}\` (${display(name)})`;
}

export function checkPython(root: SyntaxNode, sink: FindingSink): void {
  const names = new PyNames(root);
  const flagNames = (node: SyntaxNode, qualified: string[]): void => {
    const hit = findNameRule(qualified, PY_NAME_RULES);
    if (hit) sink.add(hit.rule, node, describe(node, hit.name));
  };
  for (const node of namedNodes(root)) {
    switch (node.type) {
      case 'identifier':
        if (!isUse(node)) break;
        if (pyIdent(node) === '__builtins__') sink.add('py/introspection', node, '`__builtins__`');
        flagNames(node, names.qualify(node));
        checkLookupValue(node, names, sink);
        break;
      case 'attribute':
        checkAttribute(node, names, sink);
        flagNames(node, names.qualify(node));
        break;
      case 'call':
        checkCall(node, names, sink);
        flagNames(node, names.qualify(node));
        break;
      case 'subscript':
        checkSubscript(node, names, sink);
        flagNames(node, names.qualify(node));
        break;
      case 'import_statement':
      case 'import_from_statement':
        checkImport(node, sink);
        break;
      case 'assignment':
        if (names.qualify(node.childForFieldName('left')).includes('sys.modules')) {
          sink.add('py/sys-modules', node, '`sys.modules` replaced');
        }
        break;
      case 'string':
      case 'concatenated_string':
      case 'binary_operator':
        checkLiteral(node, sink);
        break;
    }
  }
}

/** `getattr` handed around as a value (`reduce(getattr, names, os)`): its names cannot be followed. */
function checkLookupValue(node: SyntaxNode, names: PyNames, sink: FindingSink): void {
  if (node.parent?.type === 'call' && isField(node, 'function')) return;
  const lookup = names.qualify(node).find((q) => NAME_LOOKUPS.has(q));
  if (lookup !== undefined)
    sink.add('py/dynamic-attribute', node, `${describe(node, lookup)} passed as a value`);
}

function checkAttribute(node: SyntaxNode, names: PyNames, sink: FindingSink): void {
  const attr = node.childForFieldName('attribute');
  if (attr === null) return;
  const name = pyIdent(attr);
  if (INTROSPECTION_ATTRS.has(name)) sink.add('py/introspection', attr, `\`.${name}\``);
  if (name === '__dict__' && names.isModule(names.qualify(node.childForFieldName('object')))) {
    sink.add('py/introspection', attr, `\`${snippet(node)}\`, the namespace of a module`);
  }
}

function checkCall(node: SyntaxNode, names: PyNames, sink: FindingSink): void {
  const fns = names.qualify(node.childForFieldName('function'));
  const args = positionalArgs(node);
  for (const fn of fns) {
    const index = NAME_LOOKUPS.get(fn);
    const nameArg = index === undefined ? undefined : args[index];
    if (nameArg !== undefined) {
      const name = pyFold(nameArg).value;
      if (name === undefined) {
        sink.add('py/dynamic-attribute', node, `\`${snippet(node)}\` uses a computed attribute name`);
      } else if (INTROSPECTION_ATTRS.has(name)) {
        sink.add('py/introspection', node, `\`${snippet(node)}\` reaches \`${name}\``);
      }
    }
    const first = args[0];
    if (fn === 'importlib.import_module' && first !== undefined && pyFold(first).value === undefined) {
      sink.add('py/dynamic-import', node, `\`${snippet(node)}\` imports a computed module name`);
    }
    if ((fn === 'os.chdir' || fn === 'os.fchdir') && first !== undefined) {
      const path = pyFold(first).value;
      if (path?.startsWith('/') && !insideWorkDirs(path)) {
        sink.add('py/fs-chdir', node, `\`${snippet(node)}\` changes to ${path}, outside /work and /tmp`);
      }
    }
  }
}

function checkSubscript(node: SyntaxNode, names: PyNames, sink: FindingSink): void {
  const objects = names.qualify(node.childForFieldName('value'));
  const key = pyFold(node.childForFieldName('subscript')).value;
  const namespace = objects.some(
    (q) =>
      q === '<globals>' ||
      q === 'sys.modules' ||
      q === 'builtins' ||
      (q.endsWith('.__dict__') && names.isModule([q.slice(0, -'.__dict__'.length)])),
  );
  if (namespace && key === undefined) {
    sink.add('py/dynamic-attribute', node, `\`${snippet(node)}\` looks up a computed name in a namespace`);
  } else if (namespace && key !== undefined && INTROSPECTION_ATTRS.has(key)) {
    sink.add('py/introspection', node, `\`${snippet(node)}\``);
  }
  if (objects.includes('sys.modules') && isMutated(node)) {
    sink.add('py/sys-modules', node, `\`${snippet(node)}\` changed`);
  }
}

/** Assigned to, augmented or deleted. */
function isMutated(node: SyntaxNode): boolean {
  const parent = node.parent;
  if (parent === null) return false;
  if (parent.type === 'delete_statement') return true;
  if (parent.type === 'expression_list' && parent.parent?.type === 'delete_statement') return true;
  return (parent.type === 'assignment' || parent.type === 'augmented_assignment') && isField(node, 'left');
}

function checkImport(node: SyntaxNode, sink: FindingSink): void {
  const module = node.childForFieldName('module_name');
  const from = module !== null && module.type !== 'relative_import' ? dotted(module) : undefined;
  if (node.type === 'import_from_statement' && from === undefined) return;
  const imported: Array<[SyntaxNode, string]> = [];
  if (from !== undefined && node.namedChildren.some((child) => child.type === 'wildcard_import')) {
    imported.push([module ?? node, from]);
  }
  for (const name of node.childrenForFieldName('name')) {
    const target = name.type === 'aliased_import' ? (name.childForFieldName('name') ?? name) : name;
    const path = dotted(target);
    imported.push([name, from === undefined ? path : `${from}.${path}`]);
  }
  for (const [at, qualified] of imported) {
    const hit = findNameRule([qualified], PY_NAME_RULES);
    if (hit) sink.add(hit.rule, at, `\`${snippet(node)}\` imports ${qualified}`);
  }
}

function checkLiteral(node: SyntaxNode, sink: FindingSink): void {
  const parent = node.parent;
  if (parent?.type === 'concatenated_string') return;
  if (parent?.type === 'binary_operator' && parent.childForFieldName('operator')?.type === '+') return;
  if (parent?.type === 'parenthesized_expression' && parent.parent?.type === 'binary_operator') return;
  const folded = pyFold(node);
  const text = folded.value ?? folded.leading;
  if (text === '') return;
  const complete = folded.value !== undefined;
  const path = systemPath(text, complete);
  if (path !== undefined) {
    sink.add('py/fs-system-path', node, `\`${snippet(node)}\` names ${complete ? path : `${text}…`}`);
  }
  if (hasTraversal(text)) sink.add('py/fs-traversal', node, `\`${snippet(node)}\``);
  if (complete && isRemoteUrl(text)) sink.add('py/network-url', node, `\`${snippet(node)}\``);
}
