import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../../src/errors.js';
import { allowEntries, allowFor, grantFor } from '../../../src/workflows/extract/grant.js';
import { parseSources, redactUrl } from '../../../src/workflows/extract/sources.js';

describe('parseSources', () => {
  it('reads URLs one per line, skipping comments and blank lines, in order', () => {
    const text = '# shops\nhttps://a.example/x\n\n  # indented comment\nhttp://b.example:8080/y?q=1\r\n';
    expect(parseSources(text)).toEqual([
      { url: 'https://a.example/x' },
      { url: 'http://b.example:8080/y?q=1' },
    ]);
  });

  it('reads JSON lines with url and keeps the extra fields', () => {
    const text = '{"url": "https://a.example/", "shop": "A", "page": 2}\nhttps://b.example/';
    expect(parseSources(text)).toEqual([
      { url: 'https://a.example/', shop: 'A', page: 2 },
      { url: 'https://b.example/' },
    ]);
  });

  it('reports every bad line with its line number and what to write', () => {
    const text = [
      'https://ok.example/',
      'ftp://files.example/x',
      '{"name": "no url"}',
      '{"url": "file:///etc/passwd"}',
      '{not json',
      'just words',
    ].join('\n');
    let error: unknown;
    try {
      parseSources(text, 'shops.txt');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    const issues = (error as InvalidOptionsError).data?.issues as string[];
    expect(issues).toHaveLength(5);
    expect(issues[0]).toBe(
      'shops.txt line 2: "ftp://files.example/x": ftp is not supported: only http:// and https:// URLs',
    );
    expect(issues[1]).toMatch(/^shops\.txt line 3: the object has no "url" field/);
    expect(issues[2]).toMatch(/^shops\.txt line 4: url: file is not supported/);
    expect(issues[3]).toMatch(/^shops\.txt line 5: not a JSON object/);
    expect(issues[4]).toMatch(/^shops\.txt line 6: "just words": a URL has no spaces/);
  });

  it('refuses a file without sources, saying what to write', () => {
    expect(() => parseSources('# nothing\n\n', 'empty.txt')).toThrow(
      /empty\.txt holds no sources: write one URL/,
    );
  });
});

describe('grants', () => {
  it('is the host for default ports and host:port otherwise', () => {
    expect(grantFor('https://Shop.Example/a')).toBe('shop.example');
    expect(grantFor('http://shop.example:80/a')).toBe('shop.example');
    expect(grantFor('https://shop.example:443/a')).toBe('shop.example');
    expect(grantFor('http://shop.example:8080/a')).toBe('shop.example:8080');
    expect(grantFor('http://[::1]:8080/')).toBe('[::1]:8080');
  });

  it('puts the source host first, then the extra entries once', () => {
    expect(allowFor({ url: 'https://a.example/' }, ['cdn.example', 'a.example'])).toEqual([
      'a.example',
      'cdn.example',
    ]);
    expect(
      allowEntries(
        [{ url: 'https://a.example/1' }, { url: 'https://a.example/2' }, { url: 'http://b.example:81/' }],
        ['cdn.example'],
      ),
    ).toEqual(['a.example', 'b.example:81', 'cdn.example']);
  });
});

describe('redactUrl', () => {
  it('drops credentials and the query, keeps the host and path', () => {
    expect(redactUrl('https://user:secret@a.example/p/q?key=abc#frag')).toBe('https://a.example/p/q?…');
    expect(redactUrl('https://a.example/p')).toBe('https://a.example/p');
  });
});
