/**
 * A file-wide alias table: names bound to what they may stand for, built to a fixed point (an alias of an
 * alias resolves however the bindings are ordered). Subclasses say what binds a name (collect) and what an
 * expression refers to (resolve); scopes are ignored, so a name stands for everything it is ever bound to.
 */
import type { SyntaxNode } from './parsers.js';
import { namedNodes } from './report.js';

const MAX_ROUNDS = 6;
const MAX_DEPTH = 64;

export abstract class AliasTable {
  protected readonly aliases = new Map<string, Set<string>>();
  private changed = false;
  /** Set once the table is complete: the detectors ask about the same nodes many times. */
  private cache: Map<number, string[]> | undefined;

  protected abstract collect(node: SyntaxNode): void;
  protected abstract resolve(node: SyntaxNode, depth: number): string[];

  /** Collects bindings over the whole tree until a round adds none. Call from the subclass constructor. */
  protected build(root: SyntaxNode): void {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      this.changed = false;
      for (const node of namedNodes(root)) this.collect(node);
      if (!this.changed) break;
    }
    this.cache = new Map();
  }

  /** Everything `node` may refer to, as qualified names. */
  qualify(node: SyntaxNode | null, depth = 0): string[] {
    if (node === null || depth > MAX_DEPTH) return [];
    const cached = depth === 0 ? this.cache?.get(node.id) : undefined;
    if (cached !== undefined) return cached;
    const names = [...new Set(this.resolve(node, depth + 1))];
    if (depth === 0) this.cache?.set(node.id, names);
    return names;
  }

  protected bind(name: string, targets: Iterable<string>): void {
    let set = this.aliases.get(name);
    for (const target of targets) {
      if (set === undefined) this.aliases.set(name, (set = new Set()));
      if (!set.has(target)) {
        set.add(target);
        this.changed = true;
      }
    }
  }
}
