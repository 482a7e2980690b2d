/**
 * A plain JavaScript copy of a tree-sitter tree. Every property read on a web-tree-sitter node is a call into
 * wasm with marshalling; the detectors read parents, fields and texts many times per node, which made a
 * 300-line script cost ~35 ms. Copying the tree once with a cursor (~1 µs per node) and then walking plain
 * objects keeps a check at a few milliseconds, and the wasm tree can be freed right away.
 */
import type Parser from 'web-tree-sitter';

export interface Point {
  row: number;
  column: number;
}

export class SyntaxNode {
  readonly children: SyntaxNode[] = [];
  /** The field name of each child (`function`, `arguments`, ...), parallel to `children`. */
  readonly fields: Array<string | null> = [];
  parent: SyntaxNode | null = null;
  hasError = false;
  private named: SyntaxNode[] | undefined;

  constructor(
    private readonly source: Source,
    readonly id: number,
    readonly type: string,
    readonly isNamed: boolean,
    readonly isMissing: boolean,
    readonly startIndex: number,
    readonly endIndex: number,
  ) {}

  get isError(): boolean {
    return this.type === 'ERROR';
  }

  get text(): string {
    return this.source.text.slice(this.startIndex, this.endIndex);
  }

  /** Row and column from 0, the column in UTF-16 units (as tree-sitter reports them). */
  get startPosition(): Point {
    return this.source.position(this.startIndex);
  }

  get namedChildren(): SyntaxNode[] {
    this.named ??= this.children.filter((child) => child.isNamed);
    return this.named;
  }

  childForFieldName(field: string): SyntaxNode | null {
    const index = this.fields.indexOf(field);
    return index < 0 ? null : (this.children[index] ?? null);
  }

  childrenForFieldName(field: string): SyntaxNode[] {
    return this.children.filter((_, i) => this.fields[i] === field);
  }

  toString(): string {
    const inner = this.namedChildren.map((child) => ` ${String(child)}`).join('');
    return `(${this.isMissing ? `MISSING ${this.type}` : this.type}${inner})`;
  }
}

/** The source text and where its lines start (tree-sitter counts rows by "\n" only). */
class Source {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  position(index: number): Point {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= index) low = mid;
      else high = mid - 1;
    }
    return { row: low, column: index - (this.lineStarts[low] ?? 0) };
  }
}

/** Copies a parsed tree into plain objects; the caller may delete the wasm tree afterwards. */
export function copyTree(tree: Parser.Tree, text: string): SyntaxNode {
  const source = new Source(text);
  const language = tree.getLanguage();
  const typeNames = new Map<number, [string, boolean]>();
  const fieldNames = new Map<number, string | null>();
  const cursor = tree.walk();
  let id = 0;
  const make = (): SyntaxNode => {
    const typeId = cursor.nodeTypeId;
    let typeInfo = typeNames.get(typeId);
    if (typeInfo === undefined) {
      typeInfo = [cursor.nodeType, cursor.nodeIsNamed];
      typeNames.set(typeId, typeInfo);
    }
    const start = cursor.startIndex;
    const end = cursor.endIndex;
    const missing = start === end && cursor.nodeIsMissing;
    return new SyntaxNode(source, id++, typeInfo[0], typeInfo[1], missing, start, end);
  };
  const field = (): string | null => {
    const fieldId = cursor.currentFieldId;
    let name = fieldNames.get(fieldId);
    if (name === undefined) {
      name = fieldId > 0 ? language.fieldNameForId(fieldId) : null;
      fieldNames.set(fieldId, name);
    }
    return name;
  };
  try {
    const root = make();
    const stack: SyntaxNode[] = [root];
    let descending = cursor.gotoFirstChild();
    while (stack.length > 0) {
      const parent = stack[stack.length - 1];
      if (parent === undefined) break;
      if (descending) {
        const node = make();
        node.parent = parent;
        parent.children.push(node);
        parent.fields.push(field());
        if (cursor.gotoFirstChild()) {
          stack.push(node);
          continue;
        }
        finish(node);
        descending = cursor.gotoNextSibling();
      } else {
        finish(parent);
        stack.pop();
        descending = stack.length > 0 && cursor.gotoParent() && cursor.gotoNextSibling();
      }
    }
    return root;
  } finally {
    cursor.delete();
  }
}

function finish(node: SyntaxNode): void {
  node.hasError = node.isError || node.isMissing || node.children.some((child) => child.hasError);
}
