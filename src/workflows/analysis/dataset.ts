/**
 * The dataset reader of the data analysis workflow: an upload (CSV, TSV, semicolon-separated text or an
 * .xlsx workbook) becomes a typed Table plus its canonical CSV, the file a session's pandas scripts read.
 *
 * The format comes from the extension: `.csv`, `.txt` and unknown extensions are sniffed for comma, tab or
 * semicolon delimiters (semicolon CSVs are what Excel saves in much of Europe), `.tsv`/`.tab` are tab-
 * separated, `.xlsx` (or anything that is a ZIP archive) is read as a workbook; legacy `.xls` is refused. The size limit is checked
 * before anything is read. Decoding, parsing and type inference live in the `dataset-*.ts` files beside
 * this one; every problem with the file is an InvalidDatasetError saying what to change.
 */
import { z } from 'zod';
import { InvalidDatasetError } from '../../errors.js';
import { parseOptions } from '../../parse-options.js';
import { megabytes } from '../../text.js';
import { tableToCsv } from './canonical-csv.js';
import { parseCsv, sniffDelimiter, type Delimiter } from './dataset-csv.js';
import { decodeText } from './dataset-decode.js';
import { inferTable } from './dataset-infer.js';
import { readXlsx } from './dataset-xlsx.js';
import type { Table } from './table.js';

/** 50 MB, decimal (text.ts megabytes() says it so). */
export const DEFAULT_MAX_DATASET_BYTES = 50_000_000;

export type DatasetFormat = 'csv' | 'tsv' | 'xlsx';

export interface Dataset {
  /** The name the user gave, e.g. "Sales 2024.xlsx". */
  sourceName: string;
  /** Safe name in the session work dir, always .csv: "sales_2024.csv". */
  fileName: string;
  format: DatasetFormat;
  table: Table;
  /** tableToCsv(table): what the session gets. */
  csv: string;
  /** What the reader changed or assumed, for the user: renamed headers, decoded from UTF-16, ... */
  warnings: string[];
}

const ReadOptsSchema = z.object({ maxBytes: z.number().int().positive().optional() }).strict();

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const STEM_MAX = 60;

/** The base name's stem and its lowercased extension (`.csv` alone has an empty stem). */
function splitName(sourceName: string): { stem: string; extension: string } {
  const base = sourceName.split(/[/\\]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot === -1
    ? { stem: base, extension: '' }
    : { stem: base.slice(0, dot), extension: base.slice(dot + 1).toLowerCase() };
}

/** A name safe in a work dir: lowercase [a-z0-9_] stem of at most 60 characters, `.csv`; else `data.csv`. */
export function datasetFileName(sourceName: string): string {
  const stem = splitName(sourceName)
    .stem.normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, STEM_MAX)
    .replace(/^_+|_+$/g, '');
  return `${stem === '' ? 'data' : stem}.csv`;
}

function isZip(bytes: Uint8Array): boolean {
  return ZIP_MAGIC.every((byte, index) => bytes[index] === byte);
}

async function readRecords(
  sourceName: string,
  bytes: Uint8Array,
): Promise<{ format: DatasetFormat; header: string[]; rows: string[][]; warnings: string[] }> {
  const { extension } = splitName(sourceName);
  if (extension === 'xlsx' || extension === 'xls' || isZip(bytes))
    return { format: 'xlsx', ...(await readXlsx(sourceName, bytes)) };
  const { text, warnings } = decodeText(sourceName, bytes);
  const delimiter: Delimiter = extension === 'tsv' || extension === 'tab' ? '\t' : sniffDelimiter(text);
  const { header, rows, skippedBlankLines } = parseCsv(sourceName, text, delimiter);
  if (delimiter === ';') warnings.push('read as semicolon-separated values');
  if (skippedBlankLines > 0) warnings.push(`blank lines skipped: ${skippedBlankLines}`);
  return { format: delimiter === '\t' ? 'tsv' : 'csv', header, rows, warnings };
}

export async function readDataset(
  sourceName: string,
  bytes: Uint8Array,
  opts: { maxBytes?: number } = {},
): Promise<Dataset> {
  const { maxBytes = DEFAULT_MAX_DATASET_BYTES } = parseOptions(ReadOptsSchema, opts, 'dataset options');
  if (bytes.byteLength > maxBytes) {
    throw new InvalidDatasetError(
      `${sourceName} is ${megabytes(bytes.byteLength)}, over the limit of ${megabytes(maxBytes)}. Upload ` +
        `a smaller file: a sample of the rows, or only the columns you need.`,
    );
  }
  if (bytes.byteLength === 0) {
    throw new InvalidDatasetError(
      `${sourceName} is empty (0 bytes): upload a table with a header row and data.`,
    );
  }
  const records = await readRecords(sourceName, bytes);
  const { table, warnings } = inferTable(sourceName, records.header, records.rows);
  return {
    sourceName,
    fileName: datasetFileName(sourceName),
    format: records.format,
    table,
    csv: tableToCsv(table),
    warnings: [...records.warnings, ...warnings],
  };
}
