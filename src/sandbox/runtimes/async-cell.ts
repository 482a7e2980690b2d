/**
 * A stateful JavaScript session's cell with a top-level `await` runs as the body of an async function
 * (runners/session_node.mjs), where its declarations would be local and gone with it. As Node's REPL does,
 * its top-level declarations become assignments to the session's globals: `const rows = await load()`
 * leaves `rows` for the next cell, as it would without the await. Positions stay on their lines (only
 * the keywords go), so errors still point at the user's lines. Nothing here runs user code.
 */
import { parse, type Node, type Program } from 'acorn';

type Edit = { at: number; delete: number; insert: string };

/** The cell with its top-level declarations turned into assignments; null when it has no top-level await. */
export function globalizeAsyncCell(code: string): string | null {
  let ast: Program;
  try {
    ast = parse(code, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
      allowHashBang: true,
    });
  } catch {
    return null; // the holder reports the script's own error
  }
  if (!hasTopLevelAwait(ast)) return null;
  const edits: Edit[] = [];
  for (const statement of ast.body) {
    if (statement.type === 'VariableDeclaration') {
      // `const a = 1, {b} = o;` -> `void (a = 1, ({b} = o));` (a declarator without a value: undefined)
      const first = statement.declarations[0];
      if (first === undefined) continue;
      edits.push({ at: statement.start, delete: first.start - statement.start, insert: 'void (' });
      for (const declarator of statement.declarations) {
        const pattern = declarator.id.type !== 'Identifier';
        if (pattern) edits.push({ at: declarator.start, delete: 0, insert: '(' });
        if (declarator.init === null || declarator.init === undefined)
          edits.push({ at: declarator.end, delete: 0, insert: ' = undefined' });
        if (pattern) edits.push({ at: declarator.end, delete: 0, insert: ')' });
      }
      const last = statement.declarations[statement.declarations.length - 1] ?? first;
      edits.push({ at: last.end, delete: 0, insert: ')' });
    } else if (
      (statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') &&
      statement.id
    ) {
      edits.push({ at: statement.start, delete: 0, insert: `${statement.id.name} = ` });
      edits.push({ at: statement.end, delete: 0, insert: ';' });
    }
  }
  // From the end; edits at one place in reverse, so they read in the order they were made.
  let out = code;
  for (const edit of edits.map((e, i) => ({ ...e, i })).sort((a, b) => b.at - a.at || b.i - a.i))
    out = out.slice(0, edit.at) + edit.insert + out.slice(edit.at + edit.delete);
  return out;
}

/** An `await` (or `for await`) outside every function. */
function hasTopLevelAwait(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasTopLevelAwait);
  if (typeof node !== 'object' || node === null) return false;
  const n = node as Node & Record<string, unknown>;
  if (n.type === 'AwaitExpression') return true;
  if (n.type === 'ForOfStatement' && n['await'] === true) return true;
  if (
    n.type === 'FunctionDeclaration' ||
    n.type === 'FunctionExpression' ||
    n.type === 'ArrowFunctionExpression' ||
    n.type === 'MethodDefinition' ||
    n.type === 'PropertyDefinition'
  )
    return false;
  return Object.values(n).some((value) => typeof value === 'object' && hasTopLevelAwait(value));
}
