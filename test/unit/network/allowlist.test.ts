import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../../src/errors.js';
import { AllowList, parseAllowRule } from '../../../src/network/allowlist.js';

describe('parseAllowRule', () => {
  it.each([
    ['api.example.com', { host: 'api.example.com', wildcard: false, ip: false, ports: [80, 443] }],
    ['API.Example.COM.', { host: 'api.example.com', wildcard: false, ip: false, ports: [80, 443] }],
    ['*.example.org', { host: 'example.org', wildcard: true, ip: false, ports: [80, 443] }],
    ['example.com:8443', { host: 'example.com', wildcard: false, ip: false, ports: [8443] }],
    ['bücher.de', { host: 'xn--bcher-kva.de', wildcard: false, ip: false, ports: [80, 443] }],
    ['10.0.0.5', { host: '10.0.0.5', wildcard: false, ip: true, ports: [80, 443] }],
    ['[::1]:8080', { host: '::1', wildcard: false, ip: true, ports: [8080] }],
    ['::1', { host: '::1', wildcard: false, ip: true, ports: [80, 443] }],
    ['2130706433', { host: '127.0.0.1', wildcard: false, ip: true, ports: [80, 443] }],
  ])('%s', (text, expected) => {
    expect(parseAllowRule(text)).toEqual({ text, ...expected });
  });

  it.each([
    '',
    'https://example.com',
    'example.com/path',
    'user@example.com',
    '*',
    'a.*.example.com',
    '*.10.0.0.1',
    'example.com:0',
    'example.com:70000',
    'example.com:http',
    '1.2.3.256',
    'exa mple.com',
    '-bad.example.com',
  ])('refuses %j saying what to write', (text) => {
    expect(() => parseAllowRule(text)).toThrow(InvalidOptionsError);
    expect(() => parseAllowRule(text)).toThrow(/write a host name/);
  });

  it('names the option path in messages', () => {
    expect(() => AllowList.parse(['ok.com', 'bad/'], 'network.allow')).toThrow(/network\.allow\[1\]/);
  });
});

describe('AllowList.match', () => {
  const list = AllowList.parse([
    'api.example.com',
    '*.example.org',
    'example.net:8443',
    '10.0.0.5',
    '[::1]:8080',
  ]);

  it.each([
    ['api.example.com', 443, 'api.example.com'],
    ['api.example.com', 80, 'api.example.com'],
    ['API.EXAMPLE.COM.', 443, 'api.example.com'],
    ['a.example.org', 443, '*.example.org'],
    ['a.b.example.org', 80, '*.example.org'],
    ['example.net', 8443, 'example.net:8443'],
    ['10.0.0.5', 80, '10.0.0.5'],
    ['0x0a000005', 80, '10.0.0.5'],
    ['::1', 8080, '[::1]:8080'],
    ['0:0::1', 8080, '[::1]:8080'],
  ])('%s:%d matches %s', (host, port, rule) => {
    expect(list.match(host, port)?.text).toBe(rule);
  });

  it.each([
    ['example.org', 443], // the apex is not covered by *.example.org
    ['badexample.org', 443],
    ['example.com', 443],
    ['x.api.example.com', 443],
    ['api.example.com', 8080],
    ['example.net', 443],
    ['10.0.0.6', 80],
    ['::1', 80],
    ['api.example.com.evil.com', 443],
  ])('%s:%d does not match', (host, port) => {
    expect(list.match(host, port)).toBeNull();
  });

  it('never matches a name against an IP rule or an IP against a name rule', () => {
    expect(AllowList.parse(['127.0.0.1']).match('localhost', 80)).toBeNull();
    expect(AllowList.parse(['localhost']).match('127.0.0.1', 80)).toBeNull();
  });

  it('none is empty and matches nothing', () => {
    expect(AllowList.none.empty).toBe(true);
    expect(AllowList.none.match('example.com', 443)).toBeNull();
    expect(list.empty).toBe(false);
    expect(list.entries).toEqual([
      'api.example.com',
      '*.example.org',
      'example.net:8443',
      '10.0.0.5',
      '[::1]:8080',
    ]);
  });
});

describe('AllowList.uncovered', () => {
  const wide = AllowList.parse(['*.example.org', 'api.example.com', 'example.net:8443', '10.0.0.5']);

  it('lists what the wider list does not cover', () => {
    const narrow = AllowList.parse([
      'a.example.org',
      '*.a.example.org',
      '*.example.org',
      'example.org', // apex: not covered by the wildcard
      'api.example.com',
      'api.example.com:8080', // port not covered
      'x.api.example.com',
      'example.net:8443',
      'example.net', // default ports not covered by :8443
      '10.0.0.5',
      '10.0.0.6',
    ]);
    expect(wide.uncovered(narrow)).toEqual([
      'example.org',
      'api.example.com:8080',
      'x.api.example.com',
      'example.net',
      '10.0.0.6',
    ]);
  });

  it('a wildcard is never covered by an exact name; union covers both', () => {
    expect(AllowList.parse(['example.org']).uncovered(AllowList.parse(['*.example.org']))).toEqual([
      '*.example.org',
    ]);
    const both = AllowList.parse(['a.com']).union(AllowList.parse(['b.com']));
    expect(both.uncovered(AllowList.parse(['a.com', 'b.com', 'c.com']))).toEqual(['c.com']);
    expect(AllowList.none.uncovered(AllowList.parse(['a.com']))).toEqual(['a.com']);
  });
});
