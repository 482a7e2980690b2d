/**
 * Bytes of an uploaded text table to a string. UTF-8 is the expected encoding (a byte order mark is
 * dropped); UTF-16 LE/BE is decoded when a byte order mark says so. Anything else that is not valid
 * UTF-8 is refused rather than guessed at: there is no Windows-1252/latin-1 fallback, because a wrong
 * guess turns every accented letter into something else without anyone noticing. NUL bytes mean a
 * binary file (or UTF-16 without a byte order mark) and are refused too.
 */
import { InvalidDatasetError } from '../../errors.js';

export interface DecodedText {
  text: string;
  warnings: string[];
}

const RESAVE =
  'open it in Excel or LibreOffice and save it as "CSV UTF-8 (Comma delimited)" (or as .xlsx), then upload it again';

function encodingOf(bytes: Uint8Array): 'utf-8' | 'utf-16le' | 'utf-16be' {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

function binaryFile(sourceName: string): InvalidDatasetError {
  return new InvalidDatasetError(
    `${sourceName} contains NUL bytes, so it is not a text table: it is a binary file (or UTF-16 text ` +
      `without a byte order mark). Upload a CSV, TSV or .xlsx file; to convert it, ${RESAVE}.`,
  );
}

/** Line number (1-based) of the first byte that does not decode, as a lossy decode places it. */
function firstInvalidLine(bytes: Uint8Array): number {
  const lossy = new TextDecoder('utf-8').decode(bytes);
  return lossy.slice(0, lossy.indexOf('\uFFFD')).split('\n').length;
}

export function decodeText(sourceName: string, bytes: Uint8Array): DecodedText {
  const encoding = encodingOf(bytes);
  let text: string;
  try {
    // The decoder drops a byte order mark of its own encoding.
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    if (encoding !== 'utf-8') {
      throw new InvalidDatasetError(
        `${sourceName} starts with a UTF-16 byte order mark but is not valid UTF-16; ${RESAVE}.`,
      );
    }
    if (bytes.includes(0)) throw binaryFile(sourceName);
    throw new InvalidDatasetError(
      `${sourceName} is not UTF-8 text (the first invalid byte is on line ${firstInvalidLine(bytes)}); ` +
        `it was probably saved in a legacy encoding such as Windows-1252. To fix it, ${RESAVE}.`,
    );
  }
  if (text.includes('\u0000')) throw binaryFile(sourceName);
  const warnings =
    encoding === 'utf-8' ? [] : [`decoded from ${encoding === 'utf-16le' ? 'UTF-16 LE' : 'UTF-16 BE'}`];
  return { text, warnings };
}
