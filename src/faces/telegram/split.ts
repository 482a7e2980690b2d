/**
 * Text and table blocks as Telegram messages of at most `limit` characters (after entities parsing).
 * Each block becomes pieces that fit: text is split on line boundaries (a line longer than a message is
 * wrapped at a space, or cut), a table becomes <pre> pieces of whole rows that each repeat the header
 * line. Consecutive pieces are then merged into one message while the result still fits.
 */
import type { Block } from '../../workflows/analysis/spec.js';
import { MESSAGE_LIMIT, plainLength, type RichText } from './rich-text.js';
import { layoutTable } from './table-layout.js';

/** Longest table title kept; the rest of the budget is for rows. */
const MAX_TITLE = 200;
const CONTINUED = ' (continued)';
const BLOCK_GAP = '\n\n';

export function blocksToMessages(blocks: Block[], limit = MESSAGE_LIMIT): RichText[] {
  const messages: RichText[] = [];
  for (const piece of blocks.flatMap((block) => blockPieces(block, limit))) {
    const last = messages.at(-1);
    if (last && plainLength(last) + BLOCK_GAP.length + plainLength(piece) <= limit) {
      last.push({ style: 'plain', text: BLOCK_GAP }, ...piece);
    } else {
      messages.push([...piece]);
    }
  }
  return messages;
}

function blockPieces(block: Block, limit: number): RichText[] {
  return block.kind === 'text' ? textPieces(block.text, limit) : tablePieces(block, limit);
}

function textPieces(text: string, limit: number): RichText[] {
  const lines = text
    .trimEnd()
    .split('\n')
    .flatMap((line) => wrapLine(line, limit));
  return packLines(lines, limit)
    .map((group) => group.join('\n'))
    .filter((piece) => piece.trim() !== '')
    .map((piece) => [{ style: 'plain', text: piece }]);
}

function tablePieces(block: Extract<Block, { kind: 'table' }>, limit: number): RichText[] {
  if (block.columns.length === 0) return [];
  const { header, rule, rows } = layoutTable(block.columns, block.rows);
  const title = block.title ? [...block.title.replace(/\s+/g, ' ')].slice(0, MAX_TITLE).join('') : '';
  const titleRuns = (continued: boolean): RichText => {
    if (title === '') return [];
    return [
      { style: 'bold', text: continued ? title + CONTINUED : title },
      { style: 'plain', text: '\n' },
    ];
  };
  const titleSize = plainLength(titleRuns(true));
  const headerSize = header.length + 1 + rule.length + 1;
  const piece = (lines: string[], index: number): RichText => [
    ...titleRuns(index > 0),
    { style: 'pre', text: lines.join('\n') },
  ];
  // A header too wide to repeat (more than half a message) is printed once, at the top.
  if (titleSize + headerSize > limit / 2) {
    const budget = limit - titleSize;
    const lines = [header, rule, ...rows].flatMap((line) => cutLine(line, budget));
    return packLines(lines, budget).map(piece);
  }
  const budget = limit - titleSize - headerSize;
  const groups = packLines(
    rows.flatMap((row) => cutLine(row, budget)),
    budget,
  );
  return (groups.length > 0 ? groups : [[]]).map((group, index) => piece([header, rule, ...group], index));
}

/** Lines (each at most `budget` long) grouped so that each group joined with newlines fits `budget`. */
function packLines(lines: string[], budget: number): string[][] {
  const groups: string[][] = [];
  let size = 0;
  for (const line of lines) {
    const group = groups.at(-1);
    if (group && size + 1 + line.length <= budget) {
      group.push(line);
      size += 1 + line.length;
    } else {
      groups.push([line]);
      size = line.length;
    }
  }
  return groups;
}

/** A text line longer than `limit`, wrapped at the last space that keeps at least half a message. */
function wrapLine(line: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = line;
  while (rest.length > limit) {
    const space = rest.lastIndexOf(' ', limit);
    const head = space >= limit / 2 ? rest.slice(0, space) : (cutLine(rest, limit)[0] ?? '');
    parts.push(head);
    rest = rest.slice(space >= limit / 2 ? space + 1 : head.length);
  }
  parts.push(rest);
  return parts;
}

/** `line` cut into pieces of at most `limit` UTF-16 units, never inside a surrogate pair. */
function cutLine(line: string, limit: number): string[] {
  if (line.length <= limit) return [line];
  const pieces: string[] = [];
  let piece = '';
  for (const char of line) {
    if (piece.length + char.length > limit) {
      pieces.push(piece);
      piece = '';
    }
    piece += char;
  }
  pieces.push(piece);
  return pieces;
}
