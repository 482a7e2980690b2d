import { describe, expect, it } from 'vitest';
import { escapeControlChars, escapeName, hasControlChars } from '../../src/control-chars.js';
import { terminalSafe } from '../../src/faces/cli/terminal-safe.js';

const OSC52 = '\x1b]52;c;ZXZpbA==\x07';

describe('escapeControlChars', () => {
  it('shows ESC and a whole OSC 52 clipboard write escaped, leaving no control byte', () => {
    const shown = escapeControlChars(`before${OSC52}after`);
    expect(shown).toBe('before\\x1b]52;c;ZXZpbA==\\x07after');
    const controls = [...shown].filter((ch) => ch.charCodeAt(0) < 0x20 || (ch >= '\x7f' && ch <= '\x9f'));
    expect(controls).toEqual([]);
  });

  it('escapes a title change, cursor moves, BEL, backspace, NUL and DEL', () => {
    expect(escapeControlChars('\x1b]0;pwned\x07')).toBe('\\x1b]0;pwned\\x07');
    expect(escapeControlChars('\x1b[2J\x1b[1;1H')).toBe('\\x1b[2J\\x1b[1;1H');
    expect(escapeControlChars('a\bb\0c\x7f')).toBe('a\\x08b\\x00c\\x7f');
  });

  it('escapes a lone carriage return (overwriting a line) but keeps a CRLF line end', () => {
    expect(escapeControlChars('safe\rEVIL\n')).toBe('safe\\x0dEVIL\n');
    expect(escapeControlChars('line one\r\nline two\r\n')).toBe('line one\r\nline two\r\n');
    expect(escapeControlChars('end\r')).toBe('end\\x0d');
  });

  it('escapes C1 controls (the 8-bit CSI U+009B, OSC U+009D) and bidi overrides', () => {
    expect(escapeControlChars('\u009b31mred\u009d0;t\u009c')).toBe('\\u009b31mred\\u009d0;t\\u009c');
    expect(escapeControlChars('a\u202eb\u2066c\u2069')).toBe('a\\u202eb\\u2066c\\u2069');
  });

  it('keeps newline, tab and ordinary UTF-8 (accents, CJK, emoji, RTL letters) unchanged', () => {
    const text = 'naïve café\tπ≈3.14\n日本語 🎉 שלום مرحبا\n';
    expect(escapeControlChars(text)).toBe(text);
    expect(escapeControlChars('')).toBe('');
  });
});

describe('file names', () => {
  it('flags newline, tab, ESC, C1 and bidi overrides in names, not ordinary ones', () => {
    for (const bad of ['a\nb.txt', 'tab\t.csv', '\x1b]0;x\x07.png', 'x\u009b.txt', 'gnp\u202e.exe', 'cr\r'])
      expect(hasControlChars(bad), JSON.stringify(bad)).toBe(true);
    for (const good of ['report.csv', 'données été.txt', '図.png', 'a b-c_d.e'])
      expect(hasControlChars(good), good).toBe(false);
  });

  it('escapes every control character of a name, newline and tab included', () => {
    expect(escapeName('a\nb\t\x1b.txt')).toBe('a\\x0ab\\x09\\x1b.txt');
  });
});

describe('terminalSafe', () => {
  it('escapes on a terminal, keeps the bytes with raw or when not a terminal', () => {
    const tty = { isTTY: true } as NodeJS.WritableStream & { isTTY: boolean };
    const pipe = {} as NodeJS.WritableStream;
    expect(terminalSafe(OSC52, tty, false)).toBe('\\x1b]52;c;ZXZpbA==\\x07');
    expect(terminalSafe(OSC52, tty, true)).toBe(OSC52);
    expect(terminalSafe(OSC52, pipe, false)).toBe(OSC52);
  });
});
