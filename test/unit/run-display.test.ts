/**
 * The host's reading of a run's display channel (src/sandbox/display.ts) against what a script could
 * leave there: links, special files, huge files, malformed and over-deep lines; and the RunError it
 * builds from the script's own error item.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  displayNotes,
  OUTPUTS_FILE,
  readRunDisplay,
  RUN_DIR,
  withScriptError,
} from '../../src/sandbox/display.js';
import { isBase64, MimeBundleSchema } from '../../src/sandbox/result-types.js';

let work: string;
let channel: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'sb-display-'));
  channel = path.join(work, RUN_DIR);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const lines = (...items: unknown[]): string =>
  items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join('\n') + '\n';
const PNG = Buffer.from('\x89PNG\r\n\x1a\n', 'latin1').toString('base64');

function writeChannel(content: string | Buffer): void {
  mkdirSync(channel);
  writeFileSync(path.join(channel, OUTPUTS_FILE), content);
}

describe('readRunDisplay', () => {
  it('no channel at all: no outputs, nothing noted', async () => {
    expect(await readRunDisplay(work)).toEqual({
      outputs: [],
      error: null,
      dropped: 0,
      truncated: false,
      unreadable: null,
    });
  });

  it('keeps valid items in order, takes the error item apart, drops and counts the rest', async () => {
    writeChannel(
      lines(
        { type: 'display', data: { 'image/png': PNG, 'text/plain': '<Figure>' } },
        'not json',
        { type: 'display', data: { 'image/png': 'not base64!' } },
        { type: 'display', data: { 'text/markdown': '# only an unknown type' } },
        { type: 'bogus', data: { 'text/plain': 'x' } },
        { type: 'result', data: { 'text/plain': '42', 'application/json': 42, 'text/x-extra': 'stripped' } },
        { type: 'error', name: 'ValueError', value: 'bad', traceback: 'Traceback...\nValueError: bad\n' },
        { type: 'error', name: 'Broken' },
      ) + '{"type": "display", "data": {"text/plain": "cut off',
    );
    const display = await readRunDisplay(work);
    expect(display.outputs).toEqual([
      { type: 'display', data: { 'image/png': PNG, 'text/plain': '<Figure>' } },
      { type: 'result', data: { 'text/plain': '42', 'application/json': 42 } },
    ]);
    expect(display.error).toEqual({
      name: 'ValueError',
      value: 'bad',
      traceback: 'Traceback...\nValueError: bad\n',
    });
    expect(display.dropped).toBe(6);
    expect(displayNotes(display)).toEqual([
      {
        type: 'display',
        data: {
          'text/plain':
            'scriptbox: 6 rich outputs were dropped (malformed, cut off, or over the limit of 1000 items)',
        },
      },
    ]);
  });

  it('drops JSON nested deeper than a printer can take, without a stack overflow of its own', async () => {
    const deep = `{"type": "display", "data": {"application/json": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
    writeChannel(lines(deep, { type: 'display', data: { 'application/json': nested(50) } }));
    const display = await readRunDisplay(work);
    expect(display.dropped).toBe(1);
    expect(display.outputs).toHaveLength(1);
    expect(() => JSON.stringify(display)).not.toThrow();
  });

  it('keeps at most 1000 items', async () => {
    writeChannel(
      lines(...Array.from({ length: 1005 }, (_, i) => ({ type: 'display', data: { 'text/plain': `${i}` } }))),
    );
    const display = await readRunDisplay(work);
    expect(display.outputs).toHaveLength(1000);
    expect(display.outputs.at(-1)?.data['text/plain']).toBe('999');
    expect(display.dropped).toBe(5);
  });

  it('reads only the first maxBytes of a huge file (100 MB here)', async () => {
    writeChannel(lines({ type: 'display', data: { 'text/plain': 'first' } }));
    truncateSync(path.join(channel, OUTPUTS_FILE), 100 * 1_048_576); // the rest: NUL bytes, no newline
    const display = await readRunDisplay(work, { maxBytes: 1_048_576 });
    expect(display.outputs).toEqual([{ type: 'display', data: { 'text/plain': 'first' } }]);
    expect(display).toMatchObject({ truncated: true, dropped: 1 });
    expect(displayNotes(display, 1_048_576).map((note) => note.data['text/plain'])).toEqual([
      'scriptbox: rich outputs past the first 1048576 bytes were left out',
      'scriptbox: 1 rich output was dropped (malformed, cut off, or over the limit of 1000 items)',
    ]);
  });

  it('never follows a symlinked file', async () => {
    const secret = path.join(work, 'secret');
    writeFileSync(secret, lines({ type: 'display', data: { 'text/plain': 'host secret' } }));
    mkdirSync(channel);
    symlinkSync(secret, path.join(channel, OUTPUTS_FILE));
    const display = await readRunDisplay(work);
    expect(display.outputs).toEqual([]);
    expect(display.unreadable).toBe(`${RUN_DIR}/${OUTPUTS_FILE} is a symlink, not a regular file`);
  });

  it('never follows a symlinked directory', async () => {
    const elsewhere = path.join(work, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(
      path.join(elsewhere, OUTPUTS_FILE),
      lines({ type: 'display', data: { 'text/plain': 'host' } }),
    );
    symlinkSync(elsewhere, channel);
    const display = await readRunDisplay(work);
    expect(display.outputs).toEqual([]);
    expect(display.unreadable).toBe(`${RUN_DIR} is a symlink, not a directory`);
  });

  it('does not hang on a FIFO in place of the file', { timeout: 5000 }, async () => {
    mkdirSync(channel);
    execFileSync('mkfifo', [path.join(channel, OUTPUTS_FILE)]);
    const display = await readRunDisplay(work);
    expect(display.unreadable).toBe(`${RUN_DIR}/${OUTPUTS_FILE} is a fifo, not a regular file`);
  });

  it('cuts an overlong error message and traceback', async () => {
    writeChannel(
      lines({ type: 'error', name: 'E', value: 'v'.repeat(20_000), traceback: 't'.repeat(300_000) }),
    );
    const { error } = await readRunDisplay(work);
    expect(error?.value).toBe(`${'v'.repeat(10_000)}… (10000 more characters)`);
    expect(error?.traceback.length).toBeLessThan(200_100);
  });
});

describe('withScriptError', () => {
  const exit = { exitCode: 1, signal: null };
  const script = { name: 'ZeroDivisionError', value: 'division by zero', traceback: 'Traceback ...' };

  it('a runtime error takes the script’s name, value, traceback, and says them in its message', () => {
    const runtime = { kind: 'runtime' as const, message: 'Node.js v20 (the script exited with code 1)' };
    expect(withScriptError(runtime, script, exit)).toEqual({
      kind: 'runtime',
      message: 'ZeroDivisionError: division by zero (the script exited with code 1)',
      ...script,
    });
    const empty = withScriptError(runtime, { ...script, name: 'ValueError', value: '' }, exit);
    expect(empty?.message).toBe('ValueError (the script exited with code 1)');
    const multi = withScriptError(
      runtime,
      { ...script, value: 'one\ntwo' },
      { exitCode: null, signal: 'SIGTERM' },
    );
    expect(multi?.message).toBe('ZeroDivisionError: one (the script was killed by SIGTERM)');
  });

  it('other kinds, and no error, stay as they are', () => {
    const timeout = { kind: 'timeout' as const, message: 'killed after its wall-clock limit' };
    expect(withScriptError(timeout, script, exit)).toBe(timeout);
    expect(withScriptError(null, script, exit)).toBeNull();
  });
});

describe('image/png must be base64', () => {
  it.each([
    ['', true],
    ['QQ==', true],
    ['QUI=', true],
    ['QUJD', true],
    ['QUJ', false],
    ['Q===', false],
    ['QQ=A', false],
    ['QU J', false],
  ])('%j -> %s', (text, valid) => {
    expect(isBase64(text)).toBe(valid);
    expect(MimeBundleSchema.safeParse({ 'image/png': text }).success).toBe(valid);
  });

  it('checks a 40 MB image without a regexp stack overflow', () => {
    expect(isBase64(Buffer.alloc(30_000_000, 7).toString('base64'))).toBe(true);
  });
});
