/**
 * Delimited text (CSV, TSV, semicolon-separated) to a header and rows of raw cell strings, per RFC 4180:
 * fields may be quoted, a quote inside a quoted field is written twice, quoted fields may span lines, and
 * lines end with CRLF, LF or CR. A quote inside an unquoted field is kept as text (`5" pipe`), as pandas
 * does. Blank lines (nothing but spaces) are skipped as pandas skips them; a row of empty fields (`,,`)
 * is a row of missing values. Every row must have as many fields as the header: errors name the line.
 */
import { InvalidDatasetError } from '../../errors.js';
import { plural } from '../../text.js';

export type Delimiter = ',' | '\t' | ';';

export interface ParsedCsv {
  header: string[];
  rows: string[][];
  /** Blank lines that were skipped (anywhere, usually at the end). */
  skippedBlankLines: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * The delimiter the header line uses most, outside quotes: comma, tab or semicolon (a header with
 * none of them is one column, read as comma-separated). Ties go to comma, then tab.
 */
export function sniffDelimiter(text: string): Delimiter {
  const counts = new Map<Delimiter, number>([
    [',', 0],
    ['\t', 0],
    [';', 0],
  ]);
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char as Delimiter)) {
      counts.set(char as Delimiter, (counts.get(char as Delimiter) ?? 0) + 1);
    }
  }
  let best: Delimiter = ',';
  for (const [delimiter, count] of counts) if (count > (counts.get(best) ?? 0)) best = delimiter;
  return best;
}

function lineBreaks(text: string): number {
  return /[\r\n]/.test(text) ? (text.match(/\r\n|\r|\n/g)?.length ?? 0) : 0;
}

export function parseCsv(sourceName: string, text: string, delimiter: Delimiter): ParsedCsv {
  const separator = delimiter.charCodeAt(0);
  const fieldEnd = new RegExp(`[${delimiter}\r\n]`, 'g');
  const records: { fields: string[]; line: number }[] = [];
  let skippedBlankLines = 0;
  let at = 0;
  let line = 1;
  while (at < text.length) {
    const recordLine = line;
    const fields: string[] = [];
    let quoted = false;
    for (;;) {
      if (text.charCodeAt(at) === QUOTE) {
        const openedOn = line;
        let value = '';
        at += 1;
        for (;;) {
          const close = text.indexOf('"', at);
          if (close === -1) {
            throw new InvalidDatasetError(
              `${sourceName}: the quote opened on line ${openedOn} is never closed. Close the quoted ` +
                `value with " and write a quote inside a quoted value as two quotes ("").`,
            );
          }
          const chunk = text.slice(at, close);
          line += lineBreaks(chunk);
          value += chunk;
          at = close + 1;
          if (text.charCodeAt(at) !== QUOTE) break;
          value += '"';
          at += 1;
        }
        const next = text.charCodeAt(at);
        if (at < text.length && next !== separator && next !== LF && next !== CR) {
          throw new InvalidDatasetError(
            `${sourceName}: line ${line} has text right after a closing quote. Inside a quoted value ` +
              `write a quote as two quotes (""), or quote the whole value.`,
          );
        }
        fields.push(value);
        quoted = true;
      } else {
        fieldEnd.lastIndex = at;
        const end = fieldEnd.exec(text)?.index ?? text.length;
        fields.push(text.slice(at, end));
        at = end;
      }
      if (text.charCodeAt(at) !== separator) break;
      at += 1;
    }
    const lineEnd = text.charCodeAt(at);
    if (lineEnd === CR) at += text.charCodeAt(at + 1) === LF ? 2 : 1;
    else if (lineEnd === LF) at += 1;
    line += 1;
    if (fields.length === 1 && !quoted && fields[0]?.trim() === '') skippedBlankLines += 1;
    else records.push({ fields, line: recordLine });
  }
  const [first, ...rest] = records;
  if (first === undefined) {
    throw new InvalidDatasetError(
      `${sourceName} has no columns: it holds only blank lines. Upload a table with a header row and data rows.`,
    );
  }
  const width = first.fields.length;
  const ragged = rest.find((record) => record.fields.length !== width);
  if (ragged !== undefined) {
    throw new InvalidDatasetError(
      `${sourceName}: line ${ragged.line} has ${plural(ragged.fields.length, 'field')}, the header has ` +
        `${width}. Every row needs one value per column: check that line for a missing or extra ` +
        `${delimiter === '\t' ? 'tab' : `"${delimiter}"`}, and quote values that contain one ("a${delimiter} b").`,
    );
  }
  return { header: first.fields, rows: rest.map((record) => record.fields), skippedBlankLines };
}
