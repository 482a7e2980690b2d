/**
 * Python syntax-tree helpers for the checker: identifiers as Python reads them, dotted module names, call
 * arguments, and folding constant strings (`"ev" + "al"`, `chr(101)`, `"".join([...])`) to their value.
 */
import { concat, constant, decodePython, UNKNOWN, type Folded } from './literals.js';
import type { SyntaxNode } from './parsers.js';
import { canonicalModule } from './python-tables.js';

const MAX_DEPTH = 64;

/** Identifiers as Python sees them: NFKC-normalized (`ｅｖａｌ` is `eval`). */
export function pyIdent(node: SyntaxNode): string {
  return node.text.normalize('NFKC');
}

/** A dotted module path as written, with `posix`/`nt` and the like mapped to the module they are. */
export const dotted = (node: SyntaxNode): string =>
  canonicalModule(node.text.replace(/\s+/g, '').normalize('NFKC'));

/** Positional arguments of a call. */
export function positionalArgs(call: SyntaxNode): SyntaxNode[] {
  const args = call.childForFieldName('arguments');
  if (args?.type !== 'argument_list') return [];
  const skip = new Set(['keyword_argument', 'list_splat', 'dictionary_splat', 'comment']);
  return args.namedChildren.filter((arg) => !skip.has(arg.type));
}

function foldString(node: SyntaxNode): Folded {
  const start = node.children[0];
  const prefix = (start?.type === 'string_start' ? start.text : '').replace(/['"]+$/, '');
  const raw = /r/i.test(prefix);
  const format = /f/i.test(prefix);
  let body = '';
  let complete = true;
  for (const child of node.children) {
    if (child.type === 'string_start' || child.type === 'string_end') continue;
    if (child.type === 'interpolation') {
      complete = false;
      break;
    }
    body += format ? child.text.replace(/\{\{/g, '{').replace(/\}\}/g, '}') : child.text;
  }
  const text = raw ? body : decodePython(body);
  return complete ? constant(text) : { value: undefined, leading: text };
}

/** Folds a constant string expression: literals, implicit and `+` concatenation, `chr(n)`, `"".join([...])`. */
export function pyFold(node: SyntaxNode | null, depth = 0): Folded {
  if (node === null || depth > MAX_DEPTH) return UNKNOWN;
  switch (node.type) {
    case 'string':
      return foldString(node);
    case 'concatenated_string':
      return node.namedChildren.reduce<Folded>(
        (acc, part) => concat(acc, pyFold(part, depth + 1)),
        constant(''),
      );
    case 'parenthesized_expression':
      return pyFold(node.namedChildren[0] ?? null, depth + 1);
    case 'binary_operator':
      if (node.childForFieldName('operator')?.type !== '+') return UNKNOWN;
      return concat(
        pyFold(node.childForFieldName('left'), depth + 1),
        pyFold(node.childForFieldName('right'), depth + 1),
      );
    case 'call':
      return foldCall(node, depth);
    default:
      return UNKNOWN;
  }
}

function foldCall(node: SyntaxNode, depth: number): Folded {
  const fn = node.childForFieldName('function');
  const args = positionalArgs(node);
  if (fn?.type === 'identifier' && pyIdent(fn) === 'chr' && args[0]?.type === 'integer') {
    const code = Number(args[0].text.replace(/_/g, ''));
    return Number.isInteger(code) && code >= 0 && code <= 0x10ffff
      ? constant(String.fromCodePoint(code))
      : UNKNOWN;
  }
  if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'join') {
    const separator = pyFold(fn.childForFieldName('object'), depth + 1).value;
    const list = args[0];
    if (separator === undefined || list === undefined || !['list', 'tuple'].includes(list.type))
      return UNKNOWN;
    const parts = list.namedChildren.map((item) => pyFold(item, depth + 1).value);
    return parts.every((p): p is string => p !== undefined) ? constant(parts.join(separator)) : UNKNOWN;
  }
  return UNKNOWN;
}
