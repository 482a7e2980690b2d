/** The bot's JSON-line log never carries the token, whole or its secret half. */
import { describe, expect, it } from 'vitest';
import { errorDetails, jsonLinesLog } from '../../src/faces/telegram/log.js';

describe('jsonLinesLog', () => {
  it('writes one JSON object per line with the token redacted wherever it appears', () => {
    const token = '4242:AAH-secret_part';
    const lines: string[] = [];
    const log = jsonLinesLog(token, (line) => lines.push(line));
    log({
      level: 'error',
      event: 'download_failed',
      ...errorDetails(new Error(`GET https://api.telegram.org/file/bot${token}/documents/x.csv failed`)),
    });
    log({ level: 'warn', event: 'odd', detail: { nested: 'only AAH-secret_part here' } });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain('AAH-secret_part');
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({
      level: 'error',
      event: 'download_failed',
      error: 'GET https://api.telegram.org/file/bot<token>/documents/x.csv failed',
    });
    expect(typeof first.time).toBe('string');
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ detail: { nested: 'only <token> here' } });
  });
});
