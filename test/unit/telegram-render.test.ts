/**
 * Chat replies as Telegram messages: HTML escaping, tables as aligned <pre> columns, splitting at 4096
 * characters counted after entities parsing (on line boundaries, a long table repeating its header),
 * merging small blocks, and files in order. Every message is read back with the fake Bot API server's
 * HTML parser, which refuses what Telegram refuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderReplies, type Outgoing } from '../../src/faces/telegram/render.js';
import { MESSAGE_LIMIT } from '../../src/faces/telegram/rich-text.js';
import type { ChatReply } from '../../src/workflows/chat/types.js';
import { parseTelegramHtml } from '../integration/telegram/fake-html.js';

function messages(outgoing: Outgoing[]): string[] {
  return outgoing.flatMap((item) => (item.kind === 'message' ? [item.html] : []));
}

/** Every message parses as Telegram HTML and fits `limit` after parsing; returns their plain texts. */
function readBack(outgoing: Outgoing[], limit = MESSAGE_LIMIT): string[] {
  return messages(outgoing).map((html) => {
    const plain = parseTelegramHtml(html);
    expect(plain.length).toBeLessThanOrEqual(limit);
    expect(plain.trim()).not.toBe('');
    return plain;
  });
}

/** The contents of the <pre> blocks of `html`, unescaped. */
function preBlocks(html: string): string[] {
  return [...html.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((match) => parseTelegramHtml(match[1] ?? ''));
}

describe('renderReplies', () => {
  it('escapes &, < and > in text, table titles and cells', () => {
    const out = renderReplies([
      { kind: 'text', text: 'R&D <team> says a > b' },
      { kind: 'table', title: 'Q&A <1>', columns: ['a<b'], rows: [['x & y']] },
    ]);
    expect(messages(out)).toEqual([
      'R&amp;D &lt;team&gt; says a &gt; b\n\n<b>Q&amp;A &lt;1&gt;</b>\n<pre>a&lt;b\n─────\nx &amp; y</pre>',
    ]);
    expect(readBack(out)).toEqual(['R&D <team> says a > b\n\nQ&A <1>\na<b\n─────\nx & y']);
  });

  it('lays a table out in aligned columns, numbers to the right and text to the left', () => {
    const out = renderReplies([
      {
        kind: 'table',
        title: 'Descriptive statistics',
        columns: ['statistic', 'price', 'district'],
        rows: [
          ['count', '112', 'north'],
          ['mean', '312345.5', 'riverside'],
          ['missing', '—', 'south'],
        ],
      },
    ]);
    const [html] = messages(out);
    expect(html?.startsWith('<b>Descriptive statistics</b>\n<pre>')).toBe(true);
    expect(preBlocks(html ?? '')).toEqual([
      [
        'statistic     price  district',
        '─────────  ────────  ─────────',
        'count           112  north',
        'mean       312345.5  riverside',
        'missing           —  south',
      ].join('\n'),
    ]);
  });

  it('shortens very long cells so a row stays readable', () => {
    const long = 'x'.repeat(100);
    const [html] = messages(renderReplies([{ kind: 'table', columns: ['note'], rows: [[long]] }]));
    const [pre] = preBlocks(html ?? '');
    expect(pre?.split('\n')[2]).toBe(`${'x'.repeat(39)}…`);
  });

  it('merges consecutive small blocks into one message and keeps files in order', () => {
    const png = new Uint8Array([0x89, 0x50]);
    const out = renderReplies([
      { kind: 'text', text: 'one' },
      { kind: 'text', text: 'two' },
      { kind: 'image', name: 'hist.png', bytes: png, caption: 'price' },
      { kind: 'text', text: 'three' },
      { kind: 'document', name: 'descriptive.py', bytes: png },
      { kind: 'text', text: 'four' },
    ]);
    expect(out).toEqual([
      { kind: 'message', html: 'one\n\ntwo' },
      { kind: 'photo', name: 'hist.png', bytes: png, caption: 'price' },
      { kind: 'message', html: 'three' },
      { kind: 'document', name: 'descriptive.py', bytes: png },
      { kind: 'message', html: 'four' },
    ]);
  });

  it('puts a caption over 1024 characters in a message before its file', () => {
    const caption = 'c'.repeat(1025);
    const out = renderReplies([{ kind: 'image', name: 'a.png', bytes: new Uint8Array(1), caption }]);
    expect(out).toEqual([
      { kind: 'message', html: caption },
      { kind: 'photo', name: 'a.png', bytes: new Uint8Array(1) },
    ]);
    const fits = renderReplies([
      { kind: 'image', name: 'a.png', bytes: new Uint8Array(1), caption: 'c'.repeat(1024) },
    ]);
    expect(fits).toHaveLength(1);
  });

  it('counts length after entities parsing: 4096 ampersands are one message, 4097 are two', () => {
    expect(messages(renderReplies([{ kind: 'text', text: '&'.repeat(4096) }]))).toHaveLength(1);
    const two = renderReplies([{ kind: 'text', text: '&'.repeat(4097) }]);
    expect(readBack(two).join('')).toBe('&'.repeat(4097));
  });

  it('splits long text on line boundaries, never inside a line that fits', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'word '.repeat(i % 7)}<&>`);
    const out = renderReplies([{ kind: 'text', text: lines.join('\n') }]);
    const plain = readBack(out);
    expect(plain.length).toBeGreaterThan(1);
    expect(plain.join('\n')).toBe(lines.join('\n'));
    for (const message of plain) expect(lines).toContain(message.split('\n')[0]);
  });

  it('wraps a line longer than a message at a space, or cuts it without splitting a character', () => {
    const words = Array.from({ length: 1500 }, (_, i) => `w${i}`).join(' ');
    const wrapped = readBack(renderReplies([{ kind: 'text', text: words }]));
    expect(wrapped.join(' ')).toBe(words);

    const emoji = '📈'.repeat(3000); // 6000 UTF-16 units, no spaces
    const cut = readBack(renderReplies([{ kind: 'text', text: emoji }]));
    expect(cut.join('')).toBe(emoji);
    for (const piece of cut) expect([...piece].every((char) => char === '📈')).toBe(true);
  });

  it('splits a huge table into <pre> messages that each repeat the header line', () => {
    const rows = Array.from({ length: 600 }, (_, i) => [`row${i}`, String(i * 1.5), i % 2 ? 'a&b' : 'c<d']);
    const out = renderReplies([{ kind: 'table', title: 'Big', columns: ['name', 'value', 'tag'], rows }]);
    const htmls = messages(out);
    readBack(out);
    expect(htmls.length).toBeGreaterThan(2);
    const seen: string[] = [];
    htmls.forEach((html, index) => {
      expect(html.startsWith(index === 0 ? '<b>Big</b>\n<pre>' : '<b>Big (continued)</b>\n<pre>')).toBe(true);
      const [pre] = preBlocks(html);
      const [header, rule, ...body] = (pre ?? '').split('\n');
      expect(header).toBe('name    value  tag');
      expect(rule).toBe('──────  ─────  ───');
      seen.push(...body.map((line) => line.split(/\s+/)[0] ?? ''));
    });
    expect(seen).toEqual(rows.map((row) => row[0]));
  });

  it('prints a header too wide to repeat only once, and still fits every message', () => {
    const columns = Array.from({ length: 60 }, (_, i) => `column_number_${i}`);
    const rows = Array.from({ length: 30 }, (_, r) => columns.map((_, c) => String(r * c)));
    const out = renderReplies([{ kind: 'table', columns, rows }]);
    const plain = readBack(out);
    expect(plain.length).toBeGreaterThan(1);
    expect(plain.filter((message) => message.includes('column_number_0 '))).toHaveLength(1);
  });

  it('keeps every message valid and within the limit, and loses no text, for any blocks', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', '1', ' ', '&', '<', '>', '📈', '.', '-'),
      maxLength: 12,
    });
    const block: fc.Arbitrary<ChatReply> = fc.oneof(
      fc.record({
        kind: fc.constant('text' as const),
        text: fc.string({ unit: fc.constantFrom('x', ' ', '\n', '&', '<', '>', '📈'), maxLength: 700 }),
      }),
      fc.integer({ min: 1, max: 4 }).chain((width) =>
        fc.record({
          kind: fc.constant('table' as const),
          title: fc.option(cell, { nil: undefined }),
          columns: fc.array(cell, { minLength: width, maxLength: width }),
          rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 40 }),
        }),
      ),
    );
    const limit = 300;
    fc.assert(
      fc.property(fc.array(block, { maxLength: 6 }), (blocks) => {
        const plain = readBack(renderReplies(blocks, limit), limit).join('');
        const squeeze = (text: string): string => text.replace(/\s+/g, '');
        for (const reply of blocks) {
          if (reply.kind === 'text') expect(squeeze(plain)).toContain(squeeze(reply.text));
          if (reply.kind === 'table') {
            for (const row of reply.rows)
              for (const value of row) expect(squeeze(plain)).toContain(squeeze(value));
          }
        }
      }),
    );
  });
});
