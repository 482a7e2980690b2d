/**
 * Files users send: the size check done before anything is downloaded (Telegram lets bots download at
 * most 20 MB through getFile), and the download itself from `<apiRoot>/file/bot<token>/<file_path>`,
 * which stops reading as soon as a file turns out larger than the limit.
 */
import type { ReadableStream } from 'node:stream/web';
import { GrammyError, type Api } from 'grammy';
import { ScriptboxError } from '../../errors.js';
import { megabytes } from '../../text.js';

/** Telegram's getFile limit for bots on the public Bot API server. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export const DEFAULT_API_ROOT = 'https://api.telegram.org';

/** What the dataset reader accepts, for answers about files. */
export const ACCEPTED_FORMATS = 'CSV (.csv), TSV (.tsv) or Excel (.xlsx)';

/**
 * A download that failed: PAYLOAD_TOO_LARGE when the file is over the limit (`tooLarge`), DOWNLOAD_FAILED
 * otherwise. The message is safe to log (no token).
 */
export class DownloadError extends ScriptboxError {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(tooLarge ? 'PAYLOAD_TOO_LARGE' : 'DOWNLOAD_FAILED', message);
  }
}

/** The answer for a file over the limit; `fileSize` when Telegram reported it. */
export function tooLargeNotice(fileSize: number | undefined, maxBytes: number): string {
  const size = fileSize === undefined ? 'That file is too large' : `That file is ${megabytes(fileSize)}`;
  return (
    `${size}; Telegram lets bots download at most ${megabytes(maxBytes)}. Send a smaller extract ` +
    `(fewer rows or columns) as ${ACCEPTED_FORMATS}: an .xlsx workbook is compressed, so it is often much ` +
    'smaller than the same data as CSV.'
  );
}

export interface DownloadOpts {
  apiRoot: string;
  token: string;
  maxBytes: number;
}

/** getFile, then the bytes over HTTP; throws DownloadError when either fails or the file is too large. */
export async function downloadFile(api: Api, fileId: string, opts: DownloadOpts): Promise<Uint8Array> {
  const file = await api.getFile(fileId).catch((cause: unknown) => {
    // The Bot API answers 400 "Bad Request: file is too big" past its own limit.
    const message = cause instanceof GrammyError ? cause.description : (cause as Error).message;
    throw new DownloadError(`getFile failed: ${message}`, /too big/i.test(message));
  });
  if (!file.file_path) throw new DownloadError('getFile returned no file_path');
  const response = await fetch(`${opts.apiRoot}/file/bot${opts.token}/${file.file_path}`).catch(
    (cause: unknown) => {
      throw new DownloadError(`download failed: ${(cause as Error).message}`);
    },
  );
  if (!response.ok || !response.body) {
    throw new DownloadError(`download failed: HTTP ${response.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as ReadableStream<Uint8Array>) {
    size += chunk.length;
    // Leaving the loop by throwing cancels the rest of the download.
    if (size > opts.maxBytes) throw new DownloadError(`larger than ${opts.maxBytes} bytes`, true);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
