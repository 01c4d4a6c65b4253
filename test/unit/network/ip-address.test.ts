import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatIp,
  formatPrefix,
  isMasked,
  masked,
  parseIp,
  parsePrefix,
  prefixContains,
  prefixCovers,
  prefixesOverlap,
} from '../../../src/network/ip-address.js';

const p = (s: string) => {
  const r = parsePrefix(s);
  assert.ok(r, s);
  return r;
};
const ip = (s: string) => {
  const r = parseIp(s);
  assert.ok(r, s);
  return r;
};

describe('ip-address', () => {
  it('parses and prints IPv4 and IPv6, IPv6 in RFC 5952 form', () => {
    assert.equal(formatIp(ip('172.17.0.1')), '172.17.0.1');
    assert.equal(ip('10.0.2.0').value, 0x0a000200n);
    assert.equal(formatIp(ip('FD00:0:0:0:0:0:0:1')), 'fd00::1');
    assert.equal(formatIp(ip('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
    assert.equal(formatIp(ip('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1');
    assert.equal(formatIp(ip('::')), '::');
    assert.equal(ip('::ffff:1.2.3.4').value, 0xffff01020304n);
  });

  it('refuses what Go netip refuses: leading zeros, zones, junk, bad prefix lengths', () => {
    for (const bad of ['010.0.0.1', '1.2.3', 'fe80::1%eth0', 'x', '1.2.3.4.5', ''])
      assert.equal(parseIp(bad), undefined, bad);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/01', '::/129', '10.0.0.0/-1', 'a/8'])
      assert.equal(parsePrefix(bad), undefined, bad);
  });

  it('masks, compares and contains', () => {
    assert.equal(isMasked(p('172.20.1.0/16')), false);
    assert.equal(formatPrefix(masked(p('172.20.1.0/16'))), '172.20.0.0/16');
    assert.equal(formatPrefix(masked(p('fd12:3456::1/64'))), 'fd12:3456::/64');
    assert.ok(prefixesOverlap(p('172.16.0.0/12'), p('172.18.0.0/16')));
    assert.ok(!prefixesOverlap(p('172.18.0.0/16'), p('172.19.0.0/16')));
    assert.ok(!prefixesOverlap(p('0.0.0.0/0'), p('::/0')), 'families never overlap');
    assert.ok(prefixCovers(p('172.20.0.0/16'), p('172.20.10.0/24')));
    assert.ok(!prefixCovers(p('172.20.10.0/24'), p('172.20.0.0/16')));
    assert.ok(prefixContains(p('172.20.0.0/16'), ip('172.20.255.255')));
    assert.ok(!prefixContains(p('172.20.0.0/16'), ip('172.21.0.0')));
  });
});
