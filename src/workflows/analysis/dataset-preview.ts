/**
 * What a user sees right after an upload: the table's size and the reader's warnings, one line per column
 * (type, missing cells, the range of a numeric column, distinct values of a text column, counts of a
 * boolean column) and the first rows.
 */
import type { Dataset } from './dataset.js';
import { formatNumber } from './format.js';
import { plural } from '../../text.js';
import type { Block } from './spec.js';
import type { Column } from './table.js';

function columnSummary(column: Column): string {
  switch (column.type) {
    case 'integer':
    case 'number': {
      let min = Infinity;
      let max = -Infinity;
      for (const value of column.values) {
        if (value === null) continue;
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
      return column.missing === column.values.length ? '—' : `${formatNumber(min)}–${formatNumber(max)}`;
    }
    case 'boolean': {
      const trues = column.values.filter((value) => value === true).length;
      return `${trues} true, ${column.values.length - column.missing - trues} false`;
    }
    case 'text':
      return `${new Set(column.values.filter((value) => value !== null)).size} distinct`;
  }
}

export function previewBlocks(dataset: Dataset, rows = 5): Block[] {
  const { table } = dataset;
  const size = `${dataset.sourceName}: ${plural(table.rowCount, 'row')} × ${plural(table.columns.length, 'column')}`;
  const blocks: Block[] = [
    { kind: 'text', text: [size, ...dataset.warnings.map((warning) => `Note: ${warning}`)].join('\n') },
    {
      kind: 'table',
      title: 'Columns',
      columns: ['column', 'type', 'missing', 'values'],
      rows: table.columns.map((column) => [
        column.name,
        column.type,
        String(column.missing),
        columnSummary(column),
      ]),
    },
  ];
  const shown = Math.min(Math.max(0, Math.floor(rows)), table.rowCount);
  if (shown > 0) {
    blocks.push({
      kind: 'table',
      title: shown === 1 ? 'First row' : `First ${shown} rows`,
      columns: table.columns.map((column) => column.name),
      rows: Array.from({ length: shown }, (_, row) =>
        table.columns.map((column) => formatNumber(column.values[row] ?? null)),
      ),
    });
  }
  return blocks;
}
