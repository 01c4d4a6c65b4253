import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatPrefix } from '../../../src/network/ip-address.js';
import {
  parseIpv4Routes,
  parseIpv6Routes,
  parseNameservers,
  readReservedNetworks,
} from '../../../src/network/reserved-networks.js';

// Verbatim shapes of /proc/net/route and /proc/net/ipv6_route on a little-endian host.
const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
tun0\t0000A8C0\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
lo\t0000007F\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0
`;
const ROUTE6 = `fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fd000000000000000000000000000000 30 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000001 00000000 00000001       lo
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
`;

describe('reserved networks', () => {
  it('reads IPv4 routes except the default route and loopback', () => {
    assert.deepEqual(parseIpv4Routes(ROUTE, true).map(formatPrefix), [
      '192.0.2.0/24',
      '192.168.0.0/16',
    ]);
  });

  it('reads IPv6 routes except default, link-local, multicast and loopback', () => {
    assert.deepEqual(parseIpv6Routes(ROUTE6).map(formatPrefix), ['fd00::/48']);
  });

  it('reads name servers as single addresses', () => {
    const text =
      '# x\nnameserver 10.1.2.3\nsearch example\nnameserver fd00::53\nnameserver bogus\n';
    assert.deepEqual(parseNameservers(text).map(formatPrefix), ['10.1.2.3/32', 'fd00::53/128']);
  });

  it('combines the files and extras; an unreadable file adds nothing', async () => {
    const files: Record<string, string> = { '/proc/net/route': ROUTE };
    const got = await readReservedNetworks({
      readFile: (path) =>
        files[path] !== undefined ? Promise.resolve(files[path]) : Promise.reject(new Error('no')),
      extra: ['10.0.2.0/24', 'junk'],
    });
    assert.deepEqual(got.map(formatPrefix), ['192.0.2.0/24', '192.168.0.0/16', '10.0.2.0/24']);
  });
});
