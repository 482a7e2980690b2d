/**
 * One analysis of the data analysis workflow: a template in the `stats` pack that a sandboxed script runs,
 * and a direct computation in TypeScript that returns the same JSON object without generating anything.
 * Tests hold the two equal (numbers to 1e-9 relative); the chat and the CLI present either with `present`.
 */
import type { Table } from './table.js';

/** Neutral presentation blocks: each face renders them (terminal text, Telegram HTML, JSON). */
export type Block =
  | { kind: 'text'; text: string }
  | {
      kind: 'table';
      /** A short heading printed above the table. */
      title?: string;
      columns: string[];
      /** Cells already formatted as text (numbers rounded for reading; the JSON keeps full precision). */
      rows: string[][];
    };

export interface AnalysisSpec {
  /** The analysis name users type: `descriptive`, `correlation`, ... */
  name: string;
  /** The template that generates its script, `stats/<name>`. */
  templateId: string;
  /** One line for help texts. */
  summary: string;
  /** Example requests for help texts, as a user would type them in the chat. */
  examples: string[];
  /** Words that point to this analysis in a natural request ("correlation", "relationship", ...). */
  keywords: string[];
  /**
   * The analysis a request means when it asks for this one per group of a column ("average price per
   * district": descriptive → group_summary).
   */
  whenGrouped?: string;
  /**
   * True when the analysis takes the horizontal-axis column first (scatter's x, then y). "Y vs X" and
   * "plot Y against X" put Y on the vertical axis, as people say them, so a natural request naming two
   * columns that way gives them to it as X, Y; "X and Y" keeps its order.
   */
  takesXFirst?: boolean;
  /** True when the script writes chart PNGs under out/. */
  charts: boolean;
  /**
   * Template parameters from the column names a request mentions, in the order mentioned (`/script
   * regression price area rooms` → target price, features area and rooms). Throws InvalidOptionsError
   * with a message a user can act on when the columns do not fit (a text column where a number is needed).
   */
  paramsFromColumns(columns: string[], table: Table): Record<string, unknown>;
  /**
   * The same JSON object the script prints, computed directly from the table. `params` are the template's
   * parameters with defaults filled in (as TemplateRegistry.resolveParams returns them). Chart files are
   * not drawn here; the numbers they show are (bin counts, box statistics).
   */
  direct(table: Table, params: Record<string, unknown>): Record<string, unknown>;
  /** Blocks presenting a result (the script's or the direct one) to a reader. */
  present(result: Record<string, unknown>): Block[];
}
