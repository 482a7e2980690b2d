/**
 * What each language module (languages/<lang>.ts) exports as `support`: the core (scan, analyse, insertion
 * scripts, sandbox batches, rebuild, manifest) is language-neutral and asks these for everything else.
 */
import type { Grammar, SyntaxNode } from '../../check/parsers.js';
import type { Edit, FileAnalysis, FunctionSite, InstrumentLanguage } from './model.js';

export interface FileContext {
  /** Path relative to the scanned root, with `/` separators. */
  relPath: string;
  source: string;
  analysis: FileAnalysis;
  /** Absolute path of the scanned tree's root (the source tree: read-only here; --out has the same layout). */
  treeRoot: string;
}

export interface InsertionEdit {
  /** Byte offset relative to the function's own text (fn.span.start.byte). */
  at: number;
  /** Bytes to delete at `at`. */
  delete: number;
  insert: string;
  /** The bytes expected at `at` (anchor, ≤16 characters); the script refuses when they differ. */
  expect: string;
}

export interface InsertionRequest {
  /** Text edits relative to the function's own text (fn.span), expressed as rules the script applies. */
  edits: InsertionEdit[];
  /** The header text: part of the cache key. */
  signature: string;
}

export interface LanguageSupport {
  language: InstrumentLanguage;
  extensions: readonly string[];
  grammar: Grammar;
  isTestFile(relPath: string): boolean;
  /** Pure. */
  analyze(root: SyntaxNode, source: string, relPath: string): FileAnalysis;
  /** The insertion script's template inputs for one function (the script itself is made by the core). */
  insertion(fn: FunctionSite, file: FileContext): InsertionRequest | { skip: string };
  /** Edits once per file (prelude: import / include / runtime binding), given the functions instrumented. */
  prelude(file: FileContext, instrumented: FunctionSite[]): Edit[];
  /** Runtime files to write, relative to the output tree root (may depend on the files instrumented). */
  runtimeFiles(files: FileContext[]): { path: string; content: string }[];
  /** A marker present in every instrumented file of this language (idempotency: such a file is skipped). */
  marker: string;
  /**
   * True when the module analyses trees with syntax errors itself (C/C++: tree-sitter misreads macros such
   * as `EXPORT int f()`), leaving misread regions alone; otherwise such a file is skipped whole.
   */
  toleratesSyntaxErrors?: boolean;
  /**
   * True when `analyze` returns all that later steps read, as plain JSON data (no side tables keyed by its
   * objects, nothing remembered elsewhere): then an analysis is memoised in the library and reused for a
   * byte-identical file. Modules that keep side tables (Java, Ruby, C/C++) leave it unset and are re-analysed.
   */
  plainAnalysis?: boolean;
  /** Optional: the grammar for one file when it differs by extension (e.g. `.tsx` → `tsx`). */
  grammarFor?(relPath: string): Grammar;
}
