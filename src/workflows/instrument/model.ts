/**
 * The one range model of instrumentation (the original design's bug was three field names for lines): every
 * place in a file is a `Position` — a 0-based byte offset into the file's UTF-8 bytes, a 1-based line and a
 * 0-based byte column — and every range a `Span` with an exclusive end. Analyses, insertion requests,
 * edits, rebuild and manifest all speak this model; `SourceMap` converts tree-sitter's string indices.
 */

export interface Position {
  /** 0-based offset into the file's UTF-8 bytes. */
  byte: number;
  /** 1-based line. */
  line: number;
  /** 0-based byte column. */
  column: number;
}

/** `end` is exclusive. */
export interface Span {
  start: Position;
  end: Position;
}

export type InstrumentLanguage =
  'python' | 'javascript' | 'typescript' | 'go' | 'java' | 'c' | 'cpp' | 'rust' | 'ruby';

export const INSTRUMENT_LANGUAGES: readonly InstrumentLanguage[] = [
  'python',
  'javascript',
  'typescript',
  'go',
  'java',
  'c',
  'cpp',
  'rust',
  'ruby',
];

export interface ExitSite {
  kind: 'return' | 'throw' | 'yield' | 'implicit';
  span: Span;
}

export interface FunctionSite {
  index: number;
  name: string;
  /** Class.method, (*T).Method, Type::method, Mod#meth */
  qualifiedName: string;
  kind: 'function' | 'method' | 'constructor' | 'closure' | 'lambda' | 'accessor';
  params: string[];
  span: Span;
  /** From the start up to the body. */
  header: Span;
  /** The block incl. braces / the indented suite; null: expression body. */
  body: Span | null;
  exits: ExitSite[];
  async: boolean;
  generator: boolean;
  /** Why it is not instrumented (no body, const fn, ...); null: instrument it. */
  skip: string | null;
}

export interface LoopSite {
  kind: string;
  span: Span;
}

export interface VariableSite {
  name: string;
  span: Span;
}

export interface FileAnalysis {
  language: InstrumentLanguage;
  path: string;
  functions: FunctionSite[];
  loops: LoopSite[];
  variables: VariableSite[];
}

/** A text edit in bytes of the ORIGINAL file. */
export interface Edit {
  at: number;
  delete: number;
  insert: string;
}

/**
 * Converts string indices (UTF-16 units, as tree-sitter's JS nodes report `startIndex`/`endIndex`) into
 * `Position`s: UTF-8 byte offsets, 1-based lines (split at "\n"), byte columns. Build one per file.
 */
export class SourceMap {
  /** UTF-16 index of each line start. */
  private readonly lineStarts: number[] = [0];
  /** UTF-8 byte offset of each line start. */
  private readonly lineBytes: number[] = [0];
  /** Whether the text is pure ASCII (then index === byte). */
  private readonly ascii: boolean;

  constructor(readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.ascii = !/[^\x00-\x7f]/.test(text);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      this.lineStarts.push(i + 1);
      const previous = this.lineBytes[this.lineBytes.length - 1] ?? 0;
      const start = this.lineStarts[this.lineStarts.length - 2] ?? 0;
      this.lineBytes.push(previous + this.utf8Length(start, i + 1));
    }
  }

  /** The UTF-8 length of text[from, to). */
  utf8Length(from: number, to: number): number {
    if (this.ascii) return to - from;
    let bytes = 0;
    for (let i = from; i < to; i++) {
      const code = this.text.charCodeAt(i);
      if (code < 0x80) bytes += 1;
      else if (code < 0x800) bytes += 2;
      else if (code >= 0xd800 && code <= 0xdbff && i + 1 < to) {
        bytes += 4;
        i++;
      } else bytes += 3;
    }
    return bytes;
  }

  /** The position of a string index. */
  position(index: number): Position {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= index) low = mid;
      else high = mid - 1;
    }
    const lineStart = this.lineStarts[low] ?? 0;
    const column = this.utf8Length(lineStart, index);
    return { byte: (this.lineBytes[low] ?? 0) + column, line: low + 1, column };
  }

  /** The span of string indices [start, end). */
  span(start: number, end: number): Span {
    return { start: this.position(start), end: this.position(end) };
  }

  /** The span of a node-like `{ startIndex, endIndex }`. */
  nodeSpan(node: { startIndex: number; endIndex: number }): Span {
    return this.span(node.startIndex, node.endIndex);
  }
}

/** The UTF-8 byte length of a string. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
