/**
 * checkSource(): parse a script with a real parser and apply the rules of its language. These are early,
 * explainable rejections, never the only wall: whatever gets through still runs inside the sandbox.
 *
 * JavaScript and TypeScript rules walk tree-sitter trees (one walker for both; positions are those of the
 * TypeScript the user wrote, and tree-sitter keeps going past an error), while their syntax verdict comes
 * from prepareSource(), the acorn/swc check the runner itself applies, so `check` and `run` never disagree.
 */
import { InvalidOptionsError } from '../errors.js';
import { prepareSource } from '../sandbox/runtimes/prepare.js';
import { checkBash, type Embedded } from './bash-rules.js';
import { bashAccepts } from './bash-syntax.js';
import { checkJavaScript } from './js-rules.js';
import { parse, type SyntaxNode } from './parsers.js';
import { checkPython } from './python-rules.js';
import { FindingSink, snippet } from './report.js';
import {
  CHECK_LANGUAGES,
  CHECK_POLICIES,
  type CheckLanguage,
  type CheckOptions,
  type CheckReport,
} from './types.js';
import type { Finding } from './types.js';

const SYNTAX_RULE: Record<CheckLanguage, string> = {
  python: 'py/syntax',
  javascript: 'js/syntax',
  typescript: 'js/syntax',
  bash: 'sh/syntax',
};

/** How deep code embedded in code (`bash -c '...'` inside `bash -c`) is followed. */
const MAX_EMBEDDING = 3;

export async function checkSource(options: CheckOptions): Promise<CheckReport> {
  const { language, source, policy } = options;
  const issues: string[] = [];
  if (!CHECK_LANGUAGES.includes(language)) issues.push(`language: use one of ${CHECK_LANGUAGES.join(', ')}`);
  if (!CHECK_POLICIES.includes(policy)) issues.push(`policy: use one of ${CHECK_POLICIES.join(', ')}`);
  if (typeof source !== 'string') issues.push('source: expected a string');
  if (issues.length > 0) throw new InvalidOptionsError(`invalid check options: ${issues.join('; ')}`, issues);
  if (policy === 'off') return { policy, blocked: false, findings: [] };
  const findings = await analyze(language, source, options.network ?? false, 0);
  const blocked = policy === 'strict' && findings.some((finding) => finding.severity === 'error');
  return { policy, blocked, findings };
}

async function analyze(
  language: CheckLanguage,
  source: string,
  network: boolean,
  depth: number,
): Promise<Finding[]> {
  const sink = new FindingSink(network);
  const parsed = await parse(language, source);
  // tree-sitter's bash grammar misses constructs bash accepts: bash's own verdict (bash-syntax.ts) decides.
  const confirmed = async (): Promise<boolean> => language !== 'bash' || (await bashAccepts(source)) !== true;
  if (!parsed.ok) {
    if (!(await confirmed())) return sink.list();
    sink.add(
      SYNTAX_RULE[language],
      { line: 1, column: 1 },
      `the parser gave up on this script (${parsed.message})`,
    );
    return sink.list();
  }
  const embedded: Embedded[] = [];
  const root = parsed.root;
  if (language === 'javascript' || language === 'typescript') {
    const prepared = prepareSource(language, source);
    if (!prepared.ok) {
      const { line = 1, column = 1, message } = prepared.error;
      sink.add('js/syntax', { line, column }, message.replace(/ \(line \d+, column \d+\)$/, ''));
    }
    checkJavaScript(root, sink);
  } else {
    const error = findSyntaxError(root);
    if (error !== undefined && (await confirmed())) {
      sink.add(SYNTAX_RULE[language], error, describeSyntaxError(error));
    }
    if (language === 'python') checkPython(root, sink);
    else checkBash(root, sink, embedded);
  }
  for (const code of depth < MAX_EMBEDDING ? embedded : []) {
    for (const inner of await analyze(code.language, code.source, network, depth + 1)) {
      // Positions move by where the code starts (columns only on its first line; escapes may shift them).
      const line = code.at.line + inner.line - 1;
      const column = inner.line === 1 ? code.at.column + inner.column - 1 : inner.column;
      const message = `in the ${code.language} code given to ${code.via}: ${inner.message}`;
      sink.addFinding({ ...inner, message, line, column });
    }
  }
  return sink.list();
}

/**
 * Where the first syntax error is: the first MISSING node, or inside the first ERROR node the first token
 * that is not part of a complete, error-free construct (an ERROR node often starts with the valid
 * statements before the real problem).
 */
function findSyntaxError(root: SyntaxNode): SyntaxNode | undefined {
  if (!root.hasError) return undefined;
  let node = root;
  for (;;) {
    if (node.isMissing) return node;
    const next = node.isError
      ? node.children.find((child) => !child.isNamed || child.hasError || child.isError)
      : node.children.find((child) => child.isMissing || child.hasError);
    if (next === undefined) return node.isError ? node : undefined;
    if (node.isError && !next.hasError && !next.isMissing) return next;
    node = next;
  }
}

function describeSyntaxError(node: SyntaxNode): string {
  if (node.isMissing) return `syntax error: missing \`${node.type}\``;
  return node.text.trim() === '' ? 'syntax error' : `syntax error at \`${snippet(node)}\``;
}
