/** What users are told about files over Telegram's download limit, before anything is downloaded. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DOWNLOAD_BYTES, tooLargeNotice } from '../../src/faces/telegram/uploads.js';
import { megabytes } from '../../src/text.js';

describe('upload size answers', () => {
  it('uses Telegram’s 20 MiB getFile limit by default, said in decimal MB', () => {
    expect(DEFAULT_MAX_DOWNLOAD_BYTES).toBe(20 * 1024 * 1024);
    expect(megabytes(DEFAULT_MAX_DOWNLOAD_BYTES)).toBe('21 MB');
    expect(megabytes(31.2 * 1024 * 1024)).toBe('32.7 MB');
  });

  it('names the size, the limit and the formats accepted', () => {
    expect(tooLargeNotice(32_715_571, DEFAULT_MAX_DOWNLOAD_BYTES)).toBe(
      'That file is 32.7 MB; Telegram lets bots download at most 21 MB. Send a smaller extract (fewer ' +
        'rows or columns) as CSV (.csv), TSV (.tsv) or Excel (.xlsx): an .xlsx workbook is compressed, so ' +
        'it is often much smaller than the same data as CSV.',
    );
    expect(tooLargeNotice(undefined, 5_000_000)).toMatch(
      /^That file is too large; Telegram lets bots download at most 5 MB\./,
    );
  });
});
