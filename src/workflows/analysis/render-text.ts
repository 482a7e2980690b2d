/**
 * Presentation blocks as plain text for terminals (`scriptbox chat`, `scriptbox analyze`): text as it is,
 * tables with a title line, a header, a rule and aligned columns (numbers to the right, the rest to the
 * left). A table wider than `width` has its widest columns cut with `…` down to a minimum width; a
 * table that still does not fit is printed wider rather than losing columns. Blocks are separated by a
 * blank line; the text ends with a newline (empty for no blocks).
 */
import { ellipsize, padTo, textWidth } from '../../text.js';
import type { Block } from './spec.js';

export const DEFAULT_TEXT_WIDTH = 100;
const GAP = '  ';
const MIN_COLUMN_WIDTH = 6;
const NUMERIC_CELL = /^([-+]?[\d.,]+(e[-+]?\d+)?%?|—|NaN|-?∞)$/i;

/** Column widths that fit `width` if cutting the widest columns down to MIN_COLUMN_WIDTH can do it. */
function fitWidths(natural: number[], width: number): number[] {
  const widths = [...natural];
  const total = (): number => widths.reduce((sum, w) => sum + w, 0) + GAP.length * (widths.length - 1);
  while (total() > width) {
    const widest = Math.max(...widths);
    if (widest <= MIN_COLUMN_WIDTH) break;
    const index = widths.indexOf(widest);
    widths[index] = Math.max(MIN_COLUMN_WIDTH, widest - (total() - width));
  }
  return widths;
}

function renderTable(block: Extract<Block, { kind: 'table' }>, width: number): string {
  const cells = (row: string[]): string[] =>
    block.columns.map((_, index) => (row[index] ?? '').replace(/\s+/g, ' '));
  const rows = block.rows.map(cells);
  const natural = block.columns.map((name, index) =>
    Math.max(textWidth(name), ...rows.map((row) => textWidth(row[index] ?? ''))),
  );
  const widths = fitWidths(natural, width);
  const numeric = block.columns.map(
    (_, index) => rows.length > 0 && rows.every((row) => NUMERIC_CELL.test(row[index] ?? '')),
  );
  const line = (row: string[]): string =>
    row
      .map((cell, index) =>
        padTo(ellipsize(cell, widths[index] ?? 0), widths[index] ?? 0, numeric[index] ?? false),
      )
      .join(GAP)
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join(GAP);
  const lines = [line(block.columns), rule, ...rows.map(line)];
  if (block.title !== undefined && block.title !== '') lines.unshift(block.title);
  return lines.join('\n');
}

export function renderBlocksAsText(blocks: readonly Block[], width = DEFAULT_TEXT_WIDTH): string {
  if (blocks.length === 0) return '';
  const parts = blocks.map((block) => (block.kind === 'text' ? block.text : renderTable(block, width)));
  return `${parts.join('\n\n')}\n`;
}
