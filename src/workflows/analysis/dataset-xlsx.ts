/**
 * The first sheet of an .xlsx workbook (read with `read-excel-file`) as a header and rows of raw cell
 * strings, so that type inference treats a workbook exactly like a CSV: numbers in their shortest
 * round-trip form, booleans as True/False, dates as ISO text (`2024-01-05`, or the full
 * `2024-01-05T13:30:00.000Z` when there is a time of day), empty cells empty. Rows and columns that are
 * entirely empty (spacing, formatting leftovers) are dropped with a warning.
 */
import readExcelFile from 'read-excel-file/node';
import type { Row } from 'read-excel-file/node';
import { InvalidDatasetError } from '../../errors.js';

export interface SheetRecords {
  header: string[];
  rows: string[][];
  warnings: string[];
}

const RESAVE = 'open it in Excel or LibreOffice and save it again as .xlsx or as "CSV UTF-8"';

function cellText(cell: Row[number] | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) {
    const iso = cell.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof cell === 'boolean') return cell ? 'True' : 'False';
  return String(cell);
}

async function readSheets(sourceName: string, bytes: Uint8Array): Promise<{ sheet: string; data: Row[] }[]> {
  try {
    return await readExcelFile(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const problem =
      code === 'XLS_FILE_NOT_SUPPORTED'
        ? 'is a legacy .xls workbook, which cannot be read'
        : 'is not a readable .xlsx workbook';
    throw new InvalidDatasetError(`${sourceName} ${problem}; ${RESAVE}.`, { cause: err });
  }
}

export async function readXlsx(sourceName: string, bytes: Uint8Array): Promise<SheetRecords> {
  const sheets = await readSheets(sourceName, bytes);
  const [first] = sheets;
  const cells = (first?.data ?? []).map((row) => row.map(cellText));
  const width = cells.reduce((widest, row) => Math.max(widest, row.length), 0);
  const rows = cells.filter((row) => row.some((cell) => cell.trim() !== ''));
  const keep = [...Array(width).keys()].filter((index) =>
    rows.some((row) => (row[index] ?? '').trim() !== ''),
  );
  const [header, ...data] = rows.map((row) => keep.map((index) => row[index] ?? ''));
  if (header === undefined) {
    throw new InvalidDatasetError(
      `${sourceName}: the first sheet of the workbook is empty. Put the table on the first sheet, with ` +
        `the column names in the first row.`,
    );
  }
  const warnings: string[] = [];
  if (sheets.length > 1) {
    warnings.push(
      `read the first sheet "${first?.sheet}" of ${sheets.length}; upload other sheets as their own files`,
    );
  }
  if (cells.length > rows.length) warnings.push(`empty rows skipped: ${cells.length - rows.length}`);
  if (width > keep.length) warnings.push(`empty columns skipped: ${width - keep.length}`);
  return { header, rows: data, warnings };
}
