/**
 * JavaScript and TypeScript detectors (one tree-sitter walker for both). Every reference to a dangerous
 * name is a finding wherever it appears, after JsNames resolves aliases, destructuring and requires.
 */
import { hasTraversal, isRemoteUrl, systemPath } from './literals.js';
import type { SyntaxNode } from './parsers.js';
import { findNameRule, isField, namedNodes, snippet, type FindingSink } from './report.js';
import { callArgs, isPlainLiteral, jsFold, moduleName, propertyName, unwrap } from './js-fold.js';
import { JsNames } from './js-names.js';
import { GUARDED_OBJECTS, JS_NAME_RULES, REQUIRE_FUNCTIONS } from './js-tables.js';

/** Parents under which an identifier is a binding, a label or a type-level mention, not a use. */
const BINDING_PARENTS = new Set([
  'formal_parameters',
  'import_clause',
  'namespace_import',
  'import_specifier',
  'import_require_clause',
  'array_pattern',
  'object_pattern',
  'rest_pattern',
  'labeled_statement',
  'break_statement',
  'continue_statement',
  'type_query',
]);
const BINDING_FIELDS: Record<string, string> = {
  variable_declarator: 'name',
  function_declaration: 'name',
  function_expression: 'name',
  function: 'name',
  generator_function_declaration: 'name',
  generator_function: 'name',
  function_signature: 'name',
  class_declaration: 'name',
  class: 'name',
  enum_declaration: 'name',
  required_parameter: 'pattern',
  optional_parameter: 'pattern',
  arrow_function: 'parameter',
  catch_clause: 'parameter',
  pair_pattern: 'value',
  assignment_pattern: 'left',
  object_assignment_pattern: 'left',
  export_specifier: 'alias',
};
const FUNCTION_LITERALS = new Set([
  'function',
  'function_expression',
  'arrow_function',
  'generator_function',
  'class',
]);

function isUse(node: SyntaxNode): boolean {
  const parent = node.parent;
  if (parent === null) return true;
  if (BINDING_PARENTS.has(parent.type)) return false;
  const op = parent.childForFieldName('operator')?.type;
  if (parent.type === 'unary_expression' && op === 'typeof') return false; // a feature test, not a use
  if (parent.type === 'binary_expression' && op === 'instanceof' && isField(node, 'right')) return false;
  const field = BINDING_FIELDS[parent.type];
  return field === undefined || !isField(node, field);
}

function describe(node: SyntaxNode, name: string): string {
  const text = snippet(node);
  return text === name ? `\`${text}\`` : `\`${text}\` (${name})`;
}

export function checkJavaScript(root: SyntaxNode, sink: FindingSink): void {
  const names = new JsNames(root);
  const flagNames = (node: SyntaxNode): void => {
    const hit = findNameRule(names.qualify(node), JS_NAME_RULES);
    if (hit) sink.add(hit.rule, node, describe(node, hit.name));
  };
  for (const node of namedNodes(root)) {
    switch (node.type) {
      case 'identifier':
      case 'shorthand_property_identifier':
        if (!isUse(node)) break;
        flagNames(node);
        checkRequireValue(node, names, sink);
        break;
      case 'member_expression':
      case 'subscript_expression':
        checkMember(node, names, sink);
        flagNames(node);
        break;
      case 'call_expression':
        checkCall(node, names, sink);
        flagNames(node);
        break;
      case 'import_statement':
      case 'export_statement':
      case 'import_require_clause':
        checkModuleSource(node, sink);
        break;
      case 'string':
      case 'template_string':
      case 'binary_expression':
        checkLiteral(node, names, sink);
        break;
    }
  }
}

function checkMember(node: SyntaxNode, names: JsNames, sink: FindingSink): void {
  const object = node.childForFieldName('object');
  if (node.type === 'subscript_expression' && jsFold(node.childForFieldName('index')).value === undefined) {
    const guarded = names.qualify(object).find((q) => GUARDED_OBJECTS.has(q));
    if (guarded !== undefined) {
      sink.add(
        'js/global-computed',
        node,
        `\`${snippet(node)}\` picks a member of ${guarded} by a computed name`,
      );
    }
  }
  if (propertyName(node) === 'constructor' && reachesFunctionConstructor(unwrap(object))) {
    sink.add('js/dynamic-code', node, `\`${snippet(node)}\` is the Function constructor`);
  }
}

/** `x.constructor.constructor`, `(function(){}).constructor`, `Object.getPrototypeOf(async () => {}).constructor`. */
function reachesFunctionConstructor(object: SyntaxNode | null): boolean {
  if (object === null) return false;
  if (FUNCTION_LITERALS.has(object.type)) return true;
  if (propertyName(object) === 'constructor') return true;
  if (object.type !== 'call_expression') return false;
  const fn = unwrap(object.childForFieldName('function'));
  const arg = unwrap(callArgs(object)[0] ?? null);
  return (
    /^(Object|Reflect)\.getPrototypeOf$/.test(fn?.text ?? '') &&
    arg !== null &&
    FUNCTION_LITERALS.has(arg.type)
  );
}

function checkCall(node: SyntaxNode, names: JsNames, sink: FindingSink): void {
  const { fn, args, isImport } = names.callee(node);
  const loads = isImport || names.qualify(fn).some((name) => REQUIRE_FUNCTIONS.has(name));
  if (loads && args[0] !== undefined && !isPlainLiteral(args[0])) {
    const folded = jsFold(args[0]).value;
    const known =
      folded === undefined ? 'a computed module name' : `a module name built from pieces ("${folded}")`;
    sink.add('js/dynamic-require', node, `\`${snippet(node)}\` loads ${known}`);
  }
  if (names.qualify(fn).includes('Reflect.get') && jsFold(args[1] ?? null).value === undefined) {
    const guarded = names.qualify(args[0] ?? null).find((q) => GUARDED_OBJECTS.has(q));
    if (guarded !== undefined) {
      sink.add(
        'js/global-computed',
        node,
        `\`${snippet(node)}\` picks a member of ${guarded} by a computed name`,
      );
    }
  }
}

/** `require` handed around as a value (`[require][0](name)`): calls through it cannot be followed. */
function checkRequireValue(node: SyntaxNode, names: JsNames, sink: FindingSink): void {
  const parent = node.parent;
  if (parent === null || (parent.type === 'call_expression' && isField(node, 'function'))) return;
  if (parent.type === 'member_expression' && isField(node, 'object')) return; // require.resolve, require.main
  if (names.qualify(node).some((name) => REQUIRE_FUNCTIONS.has(name))) {
    sink.add('js/dynamic-require', node, `\`${snippet(node)}\` is require passed around as a value`);
  }
}

function checkModuleSource(node: SyntaxNode, sink: FindingSink): void {
  if (node.children.some((child) => child.type === 'type')) return; // `import type`: erased, never loaded
  const source = jsFold(node.childForFieldName('source')).value;
  if (source === undefined) return;
  const module = moduleName(source);
  const hit = findNameRule([module], JS_NAME_RULES);
  if (hit) sink.add(hit.rule, node, `\`${snippet(node)}\` loads ${module}`);
}

/** Module specifiers (`import x from '../lib'`, `require('../lib')`) are not file paths. */
function isModuleSpecifier(node: SyntaxNode, names: JsNames): boolean {
  const parent = node.parent;
  if (parent === null) return false;
  if (isField(node, 'source')) return true;
  const call = parent.type === 'arguments' ? parent.parent : null;
  if (call?.type !== 'call_expression') return false;
  const fn = call.childForFieldName('function');
  return fn?.type === 'import' || names.qualify(fn).some((name) => REQUIRE_FUNCTIONS.has(name));
}

function checkLiteral(node: SyntaxNode, names: JsNames, sink: FindingSink): void {
  let parent = node.parent;
  while (parent?.type === 'parenthesized_expression') parent = parent.parent;
  if (parent?.type === 'binary_expression' && parent.childForFieldName('operator')?.type === '+') return;
  if (isModuleSpecifier(node, names)) return;
  const folded = jsFold(node);
  const text = folded.value ?? folded.leading;
  if (text === '') return;
  const complete = folded.value !== undefined;
  const path = systemPath(text, complete);
  if (path !== undefined) {
    sink.add('js/fs-system-path', node, `\`${snippet(node)}\` names ${complete ? path : `${text}…`}`);
  }
  if (hasTraversal(text)) sink.add('js/fs-traversal', node, `\`${snippet(node)}\``);
  if (complete && isRemoteUrl(text)) sink.add('js/network-url', node, `\`${snippet(node)}\``);
}
