/** Collecting findings while walking a syntax tree, and small tree helpers the detectors share. */
import { ellipsize } from '../text.js';
import type { SyntaxNode } from './parsers.js';
import { ruleInfo } from './rules.js';
import type { Finding } from './types.js';

export interface Position {
  line: number;
  column: number;
}

/** 1-based line and column (tree-sitter counts rows from 0 and columns in UTF-16 units from 0). */
export function positionOf(node: SyntaxNode): Position {
  return { line: node.startPosition.row + 1, column: node.startPosition.column + 1 };
}

const preorder = new WeakMap<SyntaxNode, SyntaxNode[]>();

/** Every named node under `root`, parents before children, in source order; iterative and cached. */
export function namedNodes(root: SyntaxNode): SyntaxNode[] {
  let nodes = preorder.get(root);
  if (nodes !== undefined) return nodes;
  nodes = [];
  const stack: SyntaxNode[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    nodes.push(node);
    const children = node.namedChildren;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child !== undefined) stack.push(child);
    }
  }
  preorder.set(root, nodes);
  return nodes;
}

/** True when `node` is `parent.<field>`. */
export function isField(node: SyntaxNode, field: string): boolean {
  const parent = node.parent;
  return parent !== null && parent.childForFieldName(field)?.id === node.id;
}

/** Source text shortened for a message. */
export function snippet(node: SyntaxNode, max = 40): string {
  const text = node.text.trim().replace(/\s+/g, ' ');
  return ellipsize(text, max);
}

/** Findings of one check, deduplicated per rule and position; network rules dropped when the run has network. */
export class FindingSink {
  private readonly byKey = new Map<string, Finding>();

  constructor(private readonly network: boolean) {}

  add(rule: string, at: SyntaxNode | Position, what: string): void {
    const info = ruleInfo(rule);
    if (info.onlyWithoutNetwork && this.network) return;
    const { line, column } = 'line' in at ? at : positionOf(at);
    const key = `${rule}:${line}:${column}`;
    if (this.byKey.has(key)) return;
    const message = `${what}: ${info.description}`;
    this.byKey.set(key, { rule, severity: info.severity, message, line, column });
  }

  /** Adds an already-built finding (from code embedded in the script), keeping its message. */
  addFinding(finding: Finding): void {
    if (ruleInfo(finding.rule).onlyWithoutNetwork && this.network) return;
    const key = `${finding.rule}:${finding.line}:${finding.column}`;
    if (!this.byKey.has(key)) this.byKey.set(key, finding);
  }

  list(): Finding[] {
    return [...this.byKey.values()].sort(
      (a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule),
    );
  }
}

/**
 * Matches a qualified name against a pattern: `os.system` matches itself and anything below it
 * (`os.system.__call__`); a trailing `*` matches by prefix (`os.exec*` matches `os.execvp`); modules also
 * match their `/` subpaths (`dns` matches `dns/promises`).
 */
export function matchesName(name: string, pattern: string): boolean {
  if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern || name.startsWith(`${pattern}.`) || name.startsWith(`${pattern}/`);
}

export interface NameRule {
  pattern: string;
  rule: string;
}

/** The first rule whose pattern matches one of `names`, with the name it matched. */
export function findNameRule(
  names: Iterable<string>,
  table: readonly NameRule[],
): { rule: string; name: string } | undefined {
  for (const name of names) {
    for (const entry of table) if (matchesName(name, entry.pattern)) return { rule: entry.rule, name };
  }
  return undefined;
}
