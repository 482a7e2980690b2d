/**
 * Step 2, analyse: each file parsed once with its language's tree-sitter grammar, then handed to the
 * language module's pure `analyze`. A file the parser gives up on, or whose tree has syntax errors, is
 * skipped with the reason (instrumenting around a misparse could break the program), unless its module
 * says it handles misread regions itself (toleratesSyntaxErrors). Files are analysed one after another
 * (parsing is synchronous CPU work; a grammar loads once), through the library's memo (analysis-cache.ts).
 */
import { parse, type Grammar, type SyntaxNode } from '../../check/parsers.js';
import { SourceMap, type FileAnalysis } from './model.js';
import type { CommentSpan } from './rebuild.js';
import type { ScannedFile } from './scan.js';

export type AnalyzeOutcome =
  | { ok: true; file: ScannedFile; analysis: FileAnalysis; comments: CommentSpan[] }
  | { ok: false; file: ScannedFile; reason: string };

/** The grammar a file is parsed with. */
export const grammarOf = (file: ScannedFile): Grammar =>
  file.support.grammarFor?.(file.relPath) ?? file.support.grammar;

export async function analyzeFile(file: ScannedFile): Promise<AnalyzeOutcome> {
  const { support } = file;
  const grammar = grammarOf(file);
  const parsed = await parse(grammar, file.source);
  if (!parsed.ok) return { ok: false, file, reason: `the ${grammar} parser gave up (${parsed.message})` };
  if (parsed.root.hasError && support.toleratesSyntaxErrors !== true)
    return { ok: false, file, reason: 'syntax errors (as the parser reads it)' };
  try {
    const analysis = support.analyze(parsed.root, file.source, file.relPath);
    return { ok: true, file, analysis, comments: commentsOf(parsed.root, file.source) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, file, reason: `analysis failed: ${detail}` };
  }
}

/** Every comment node of a tree (types ending in `comment`), as spans. */
export function commentsOf(root: SyntaxNode, source: string): CommentSpan[] {
  const map = new SourceMap(source);
  const comments: CommentSpan[] = [];
  const stack: SyntaxNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.type.endsWith('comment')) {
      const text = node.text;
      const line = !text.endsWith('*/') && !text.startsWith('=begin');
      comments.push({ span: map.nodeSpan(node), line });
      continue;
    }
    for (const child of node.children) stack.push(child);
  }
  return comments;
}
