import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequestedAddress, nextFreeAddress } from '../../../src/network/ip-allocator.js';

describe('container addresses', () => {
  const net = { subnet: '172.18.0.0/16', gateway: '172.18.0.1' };

  it('gives the lowest free address, never the gateway or the subnet address', () => {
    assert.equal(nextFreeAddress(net, []), '172.18.0.2');
    assert.equal(nextFreeAddress(net, ['172.18.0.2', '172.18.0.3']), '172.18.0.4');
    assert.equal(nextFreeAddress(net, ['172.18.0.3']), '172.18.0.2');
  });

  it('stays inside the ip-range and skips auxiliary addresses', () => {
    const ranged = {
      subnet: '10.5.0.0/16',
      gateway: '10.5.0.1',
      ipRange: '10.5.10.0/30',
      auxAddresses: { r: '10.5.10.1' },
    };
    assert.equal(nextFreeAddress(ranged, []), '10.5.10.0');
    assert.equal(nextFreeAddress(ranged, ['10.5.10.0']), '10.5.10.2');
    assert.equal(nextFreeAddress(ranged, ['10.5.10.0', '10.5.10.2', '10.5.10.3']), undefined);
  });

  it('never gives the IPv4 broadcast address; a full /30 has none left', () => {
    const small = { subnet: '192.168.7.0/30', gateway: '192.168.7.1' };
    assert.equal(nextFreeAddress(small, []), '192.168.7.2');
    assert.equal(nextFreeAddress(small, ['192.168.7.2']), undefined);
  });

  it('works for IPv6', () => {
    assert.equal(nextFreeAddress({ subnet: 'fd00:1::/64', gateway: 'fd00:1::1' }, []), 'fd00:1::2');
  });

  it('checks an address asked for: in the subnet, not reserved, not in use', () => {
    assert.equal(checkRequestedAddress(net, '172.18.9.9', []), '172.18.9.9');
    assert.throws(() => checkRequestedAddress(net, '172.19.0.2', []), { kind: 'invalid-argument' });
    assert.throws(() => checkRequestedAddress(net, '172.18.255.255', []), {
      kind: 'invalid-argument',
    });
    assert.throws(() => checkRequestedAddress(net, '172.18.0.1', []), {
      kind: 'conflict',
      message: 'Address already in use: 172.18.0.1',
    });
    assert.throws(() => checkRequestedAddress(net, '172.18.0.7', ['172.18.0.7']), {
      kind: 'conflict',
    });
  });
});
