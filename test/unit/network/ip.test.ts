import { describe, expect, it } from 'vitest';
import { normalizeHost } from '../../../src/network/host-name.js';
import { classifyAddress, parseIpLiteral } from '../../../src/network/ip.js';

describe('parseIpLiteral: every notation of an address', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0177.0.0.01', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0x7f.0.0.0x1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['4294967295', '255.255.255.255'],
  ])('%s is IPv4 %s', (text, address) => {
    expect(parseIpLiteral(text)).toEqual({ family: 4, address });
  });

  it.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['::ffff:7f00:1', '::ffff:7f00:1'],
    ['::FFFF:7F00:0001', '::ffff:7f00:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['64:ff9b::7f00:1', '64:ff9b::7f00:1'],
  ])('%s is IPv6 %s', (text, address) => {
    expect(parseIpLiteral(text)).toEqual({ family: 6, address });
  });

  it.each([
    'example.com',
    '1.2.3.256',
    '4294967296',
    '08.1.1.1',
    '1.2.3.4.5',
    '',
    '1..2',
    ':::1',
    '1:2:3:4:5:6:7:8:9',
    '::ffff:1.2.3',
    'g::1',
  ])('%j is no IP literal', (text) => {
    expect(parseIpLiteral(text)).toBeNull();
  });
});

describe('normalizeHost', () => {
  it.each([
    ['Example.COM.', { kind: 'name', host: 'example.com' }],
    ['BÜCHER.de', { kind: 'name', host: 'xn--bcher-kva.de' }],
    ['0x7f.1', { kind: 'ip', family: 4, host: '127.0.0.1' }],
    ['[::ffff:127.0.0.1]', { kind: 'ip', family: 6, host: '::ffff:7f00:1' }],
  ])('%s', (text, expected) => {
    expect(normalizeHost(text)).toEqual(expected);
  });

  it.each(['1.2.3.256', 'foo.08', 'a b', 'a:b', '', 'x'.repeat(64) + '.com', 'foo.123'])(
    '%j is invalid (numeric names never reach a resolver)',
    (text) => {
      expect(normalizeHost(text)).toBeNull();
    },
  );
});

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['2130706433', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['2606:4700::1111', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:0808:0808::1', 'public'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['not an ip', 'reserved'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });
});
