import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { macForIpv4 } from '../../../src/network/mac-address.js';

describe('macForIpv4', () => {
  it("is Docker's 02:42 followed by the address bytes", () => {
    assert.equal(macForIpv4('172.17.0.2'), '02:42:ac:11:00:02');
    assert.equal(macForIpv4('10.89.255.254/16'), '02:42:0a:59:ff:fe');
  });

  it('has none for IPv6 or garbage', () => {
    assert.equal(macForIpv4('fd00::2'), undefined);
    assert.equal(macForIpv4('300.1.1.1'), undefined);
    assert.equal(macForIpv4(''), undefined);
  });
});
