/**
 * JavaScript/TypeScript syntax-tree helpers for the checker: names with escapes decoded, casts and
 * parentheses unwrapped, call arguments, member names, and folding constant strings (`"ev" + "al"`,
 * templates, `String.fromCharCode(...)`, `[...].join("")`) to their value.
 */
import { concat, constant, decodeJavaScript, UNKNOWN, type Folded } from './literals.js';
import type { SyntaxNode } from './parsers.js';
import { GLOBAL_OBJECTS } from './js-tables.js';

const MAX_DEPTH = 64;
const CASTS = new Set(['as_expression', 'satisfies_expression', 'non_null_expression', 'type_assertion']);

/** `node:fs` and `fs` are the same module. */
export const moduleName = (specifier: string): string => specifier.replace(/^node:/, '');

/** An identifier's name: `\u0065val` is `eval`. */
export const jsName = (node: SyntaxNode): string =>
  node.text.includes('\\') ? decodeJavaScript(node.text) : node.text;

/** The expression inside parentheses and TypeScript casts. */
export function unwrap(node: SyntaxNode | null): SyntaxNode | null {
  let current = node;
  while (current !== null && (current.type === 'parenthesized_expression' || CASTS.has(current.type))) {
    // `<T>x` has the expression last; `x as T`, `x satisfies T`, `x!` and `(x)` have it first.
    const children = current.namedChildren;
    current = (current.type === 'type_assertion' ? children[children.length - 1] : children[0]) ?? null;
  }
  return current;
}

export function callArgs(call: SyntaxNode): SyntaxNode[] {
  const args = call.childForFieldName('arguments');
  return args === null ? [] : args.namedChildren.filter((arg) => arg.type !== 'comment');
}

/** True for a string literal or a template without substitutions: the name is written out. */
export function isPlainLiteral(node: SyntaxNode | null): boolean {
  const inner = unwrap(node);
  if (inner?.type === 'string') return true;
  return (
    inner?.type === 'template_string' && !inner.namedChildren.some((c) => c.type === 'template_substitution')
  );
}

/** Folds constant strings: literals, templates, `+`, `String.fromCharCode(...)`, `[...].join(sep)`. */
export function jsFold(node: SyntaxNode | null, depth = 0): Folded {
  const inner = unwrap(node);
  if (inner === null || depth > MAX_DEPTH) return UNKNOWN;
  switch (inner.type) {
    case 'string':
      return constant(decodeJavaScript(inner.text.slice(1, -1)));
    case 'template_string': {
      let text = '';
      for (const part of inner.namedChildren) {
        if (part.type === 'template_substitution') return { value: undefined, leading: text };
        text += part.type === 'escape_sequence' ? decodeJavaScript(part.text) : part.text;
      }
      return constant(text);
    }
    case 'binary_expression':
      if (inner.childForFieldName('operator')?.type !== '+') return UNKNOWN;
      return concat(
        jsFold(inner.childForFieldName('left'), depth + 1),
        jsFold(inner.childForFieldName('right'), depth + 1),
      );
    case 'call_expression':
      return foldCall(inner, depth);
    default:
      return UNKNOWN;
  }
}

function foldCall(node: SyntaxNode, depth: number): Folded {
  const fn = unwrap(node.childForFieldName('function'));
  if (fn?.type !== 'member_expression') return UNKNOWN;
  const property = fn.childForFieldName('property')?.text;
  const object = unwrap(fn.childForFieldName('object'));
  const args = callArgs(node);
  if (object?.text === 'String' && property === 'fromCharCode') {
    const codes = args.map((arg) => (arg.type === 'number' ? Number(arg.text) : NaN));
    return codes.every((c) => Number.isInteger(c) && c >= 0 && c <= 0xffff)
      ? constant(String.fromCharCode(...codes))
      : UNKNOWN;
  }
  if (property === 'join' && object?.type === 'array') {
    const separator = args[0] === undefined ? ',' : jsFold(args[0], depth + 1).value;
    const parts = object.namedChildren.map((item) => jsFold(item, depth + 1).value);
    if (separator === undefined || !parts.every((p): p is string => p !== undefined)) return UNKNOWN;
    return constant(parts.join(separator));
  }
  return UNKNOWN;
}

/** `a.b` as a qualified name: members of the global object are globals; `.default` is the module itself. */
export function member(objects: string[], property: string): string[] {
  return objects.map((q) =>
    GLOBAL_OBJECTS.has(q) ? property : property === 'default' ? q : `${q}.${property}`,
  );
}

/** The property name of `a.b` or `a["b"]` (constant), else undefined. */
export function propertyName(node: SyntaxNode): string | undefined {
  if (node.type === 'member_expression') {
    const property = node.childForFieldName('property');
    return property === null ? undefined : jsName(property);
  }
  if (node.type === 'subscript_expression') return jsFold(node.childForFieldName('index')).value;
  return undefined;
}
