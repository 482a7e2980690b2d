/**
 * What the presentations of the chart analyses (histogram, scatter, boxplot) share: the fields every chart
 * result has, how a column's cells that are not drawn read, and the note on charts left undrawn.
 */
import { z } from 'zod';
import type { Block } from '../spec.js';

/** Fields of every chart result, for its zod schema. */
export const CHART_RESULT_FIELDS = {
  file: z.string(),
  rows: z.number(),
  charts: z.array(z.string()),
  definitions: z.record(z.string(), z.string()),
};

/** `missing 2, infinite 1`; infinite only when there are any. */
export function undrawnText(cells: { missing: number; infinite: number }): string {
  return `missing ${cells.missing}${cells.infinite > 0 ? `, infinite ${cells.infinite}` : ''}`;
}

/** The result's note as a text block, when it has one. */
export function noteBlocks(note: string | null): Block[] {
  return note === null ? [] : [{ kind: 'text', text: `Note: ${note}.` }];
}
