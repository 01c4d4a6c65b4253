import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DOCKER_DEFAULT_POOLS,
  allocateSubnet,
  effectivePools,
  ulaPool,
} from '../../../src/network/address-pools.js';
import { formatPrefix, parsePrefix, type IpPrefix } from '../../../src/network/ip-address.js';

const p = (s: string): IpPrefix => {
  const r = parsePrefix(s);
  assert.ok(r, s);
  return r;
};

/** Allocates n subnets in a row, each one taken before the next, as creates do. */
function sequence(n: number, taken: IpPrefix[] = [], pools = DOCKER_DEFAULT_POOLS): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = allocateSubnet(pools, 4, taken);
    assert.ok(s);
    taken.push(s);
    out.push(formatPrefix(s));
  }
  return out;
}

describe('address pools', () => {
  it("hands out Docker's sequence: 172.17, 172.18, ... 172.31, then 192.168.0.0/20 steps", () => {
    const got = sequence(17);
    assert.deepEqual(got.slice(0, 3), ['172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16']);
    assert.equal(got[14], '172.31.0.0/16');
    assert.equal(got[15], '192.168.0.0/20');
    assert.equal(got[16], '192.168.16.0/20');
  });

  it('skips subnets that overlap a network or a host route, and reuses a freed one', () => {
    // A host route to 172.18.5.0/24 (a VPN) makes the whole 172.18.0.0/16 unusable.
    const taken = [p('172.17.0.0/16'), p('172.18.5.0/24'), p('172.19.0.0/16')];
    assert.deepEqual(sequence(1, taken), ['172.20.0.0/16']);
    // A wide route covering several candidates is jumped over in one step.
    assert.deepEqual(sequence(1, [p('172.16.0.0/12')]), ['192.168.0.0/20']);
    // The lowest free subnet wins: one freed by a removed network comes back first.
    assert.deepEqual(sequence(1, [p('172.17.0.0/16'), p('172.19.0.0/16')]), ['172.18.0.0/16']);
    // Nothing left: undefined, not a clash.
    assert.equal(allocateSubnet(DOCKER_DEFAULT_POOLS, 4, [p('0.0.0.0/0')]), undefined);
  });

  it('cuts configured pools by their size and ignores pools of the other family', () => {
    const pools = [
      { base: 'fd00:1::/48', size: 64 },
      { base: '10.10.0.0/16', size: 24 },
    ];
    assert.deepEqual(sequence(2, [p('10.10.0.0/24')], pools), ['10.10.1.0/24', '10.10.2.0/24']);
    const v6 = allocateSubnet(pools, 6, [p('fd00:1::/64')]);
    assert.equal(v6 && formatPrefix(v6), 'fd00:1:0:1::/64');
  });

  it('refuses a pool whose size is smaller than its base prefix', () => {
    assert.throws(() => allocateSubnet([{ base: '10.0.0.0/16', size: 8 }], 4, []), {
      kind: 'invalid-argument',
    });
  });

  it('adds a stable ULA /48 per engine unless an IPv6 pool is configured', () => {
    const a = ulaPool('engine-a');
    assert.match(a.base, /^fd[0-9a-f]{2}:[0-9a-f]{4}:[0-9a-f]{4}::\/48$/);
    assert.equal(a.size, 64);
    assert.deepEqual(ulaPool('engine-a'), a);
    assert.notDeepEqual(ulaPool('engine-b'), a);
    assert.deepEqual(effectivePools([], 'engine-a'), [...DOCKER_DEFAULT_POOLS, a]);
    const own = [{ base: '10.0.0.0/8', size: 24 }];
    assert.deepEqual(effectivePools(own, 'engine-a'), [...own, a]);
    const withV6 = [...own, { base: 'fd00:abcd::/48', size: 64 }];
    assert.deepEqual(effectivePools(withV6, 'engine-a'), withV6);
  });
});
