/**
 * tree-sitter parsers for the checker. The runtime and each grammar load once per process, on first use
 * (a cached promise, so concurrent checks share one load); after that a 300-line script parses in about a
 * millisecond. Nothing here runs user code: tree-sitter only builds a syntax tree.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Parser from 'web-tree-sitter';
import { ScriptboxError } from '../errors.js';
import { copyTree, type SyntaxNode } from './tree.js';
import { renameImports } from './wasm-imports.js';

export type { SyntaxNode } from './tree.js';
export type Grammar =
  'python' | 'bash' | 'javascript' | 'typescript' | 'tsx' | 'go' | 'java' | 'c' | 'cpp' | 'rust' | 'ruby';

/** See wasm-imports.ts: the bash scanner needs libc's isalpha, which the runtime does not export. */
const IMPORT_FIXES: Partial<Record<Grammar, ReadonlyMap<string, string>>> = {
  bash: new Map([['isalpha', 'iswalpha']]),
};

let runtime: Promise<void> | undefined;
const languages = new Map<Grammar, Promise<Parser.Language>>();
const parsers = new Map<Grammar, Parser>();

function grammarPath(grammar: Grammar): string {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('tree-sitter-wasms/package.json'));
  return join(root, 'out', `tree-sitter-${grammar}.wasm`);
}

async function loadLanguage(grammar: Grammar): Promise<Parser.Language> {
  runtime ??= Parser.init();
  await runtime;
  const bytes = new Uint8Array(await readFile(grammarPath(grammar)));
  const fixes = IMPORT_FIXES[grammar];
  return Parser.Language.load(fixes ? renameImports(bytes, fixes) : bytes);
}

function language(grammar: Grammar): Promise<Parser.Language> {
  let loading = languages.get(grammar);
  if (loading === undefined) {
    loading = loadLanguage(grammar).catch((cause: unknown) => {
      languages.delete(grammar); // let a later check try again
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new ScriptboxError('INTERNAL', `cannot load the ${grammar} grammar for checks: ${detail}`, {
        cause,
      });
    });
    languages.set(grammar, loading);
  }
  return loading;
}

/** Loads a grammar ahead of time (e.g. before timing-sensitive work). */
export async function loadGrammar(grammar: Grammar): Promise<void> {
  await language(grammar);
}

export type ParseOutcome = { ok: true; root: SyntaxNode } | { ok: false; message: string };

/**
 * Parses `source` into a plain copy of the syntax tree (see tree.ts). A grammar's scanner can still trap on
 * odd input (a failed assertion in the wasm); that comes back as `ok: false` and the parser is rebuilt.
 */
export async function parse(grammar: Grammar, source: string): Promise<ParseOutcome> {
  const lang = await language(grammar);
  let parser = parsers.get(grammar);
  if (parser === undefined) {
    parser = new Parser();
    parser.setLanguage(lang);
    parsers.set(grammar, parser);
  }
  let tree: Parser.Tree | undefined;
  try {
    tree = parser.parse(source);
    return { ok: true, root: copyTree(tree, source) };
  } catch (err) {
    parsers.delete(grammar);
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  } finally {
    tree?.delete();
  }
}
