import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER_DEFAULT_POOLS } from '../../../src/network/address-pools.js';
import { parsePrefix, type IpPrefix } from '../../../src/network/ip-address.js';
import {
  planSubnets,
  validateIpamRequests,
  type IpamRequest,
  type SubnetPlanContext,
} from '../../../src/network/ipam-config.js';

const p = (s: string): IpPrefix => {
  const r = parsePrefix(s);
  assert.ok(r, s);
  return r;
};

const ctx = (o: Partial<SubnetPlanContext> = {}): SubnetPlanContext => ({
  pools: [...DOCKER_DEFAULT_POOLS, { base: 'fd11:2233:4455::/48', size: 64 }],
  existing: [p('172.17.0.0/16')],
  reserved: [],
  ...o,
});

const v4 = (configs: IpamRequest[]) => ({ configs, ipv4: true, ipv6: false });

function invalid(configs: IpamRequest[], message: RegExp, ipv6 = false): void {
  assert.throws(
    () => {
      validateIpamRequests({ configs, ipv4: true, ipv6 });
    },
    (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal((e as { kind?: string }).kind, 'invalid-argument');
      assert.match(e.message, /^invalid network config:\n/);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe('IPAM: validation (dockerd ValidateIPAM)', () => {
  it('names each bad subnet, ip-range, gateway and auxiliary address', () => {
    invalid(
      [{ subnet: '172.20.0.0' }],
      /invalid subnet 172\.20\.0\.0: invalid CIDR block notation/,
    );
    invalid(
      [{ subnet: '172.20.1.0/16' }],
      /invalid subnet 172\.20\.1\.0\/16: it should be 172\.20\.0\.0\/16/,
    );
    invalid(
      [{ subnet: '172.20.0.0/16', ipRange: '10.0.0.0/24' }],
      /invalid ip-range 10\.0\.0\.0\/24: parent subnet 172\.20\.0\.0\/16 doesn't contain ip-range/,
    );
    invalid(
      [{ subnet: '172.20.0.0/24', ipRange: '172.20.0.0/16' }],
      /CIDR block is bigger than its parent subnet 172\.20\.0\.0\/24/,
    );
    invalid(
      [{ subnet: '172.20.0.0/16', ipRange: 'fd00::/64' }],
      /invalid ip-range fd00::\/64: parent subnet is an IPv4 block/,
    );
    invalid(
      [{ subnet: '172.20.0.0/16', gateway: '172.21.0.1' }],
      /invalid gateway 172\.21\.0\.1: parent subnet 172\.20\.0\.0\/16 doesn't contain this address/,
    );
    invalid(
      [{ subnet: '172.20.0.0/16', gateway: 'nope' }],
      /invalid gateway nope: invalid address/,
    );
    invalid(
      [{ subnet: '172.20.0.0/16', auxAddresses: { host1: '10.1.1.1' } }],
      /invalid auxiliary address host1: parent subnet/,
    );
    invalid([{ gateway: '172.20.0.1' }], /needs a subnet/);
    invalid(
      [{ subnet: '172.20.0.0/16' }, { subnet: '172.21.0.0/16' }],
      /doesn't support multiple IPv4 subnets/,
    );
  });

  it('reports every problem at once, one per line', () => {
    invalid(
      [{ subnet: '172.20.1.0/16', gateway: '10.0.0.1' }],
      /it should be 172\.20\.0\.0\/16\ninvalid gateway 10\.0\.0\.1/,
    );
  });

  it('ignores IPv6 entries while IPv6 is off, as dockerd does', () => {
    validateIpamRequests({ configs: [{ subnet: 'fd00::1/64' }], ipv4: true, ipv6: false });
    invalid(
      [{ subnet: 'fd00::1/64' }],
      /invalid subnet fd00::1\/64: it should be fd00::\/64/,
      true,
    );
  });
});

describe('IPAM: planning', () => {
  it('allocates the next free pool subnet with the first host as gateway', () => {
    assert.deepEqual(planSubnets(v4([]), ctx()), [
      { subnet: '172.18.0.0/16', gateway: '172.18.0.1' },
    ]);
    // A host route blocks allocation…
    assert.deepEqual(planSubnets(v4([]), ctx({ reserved: [p('172.18.0.0/24')] })), [
      { subnet: '172.19.0.0/16', gateway: '172.19.0.1' },
    ]);
    // …but not a subnet the user asks for.
    assert.deepEqual(
      planSubnets(v4([{ subnet: '172.18.0.0/16' }]), ctx({ reserved: [p('172.18.0.0/24')] })),
      [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }],
    );
  });

  it('honours subnet, ip-range, gateway and auxiliary addresses', () => {
    const [s] = planSubnets(
      v4([
        {
          subnet: '10.5.0.0/16',
          ipRange: '10.5.10.0/24',
          gateway: '10.5.0.254',
          auxAddresses: { router: '10.5.0.2' },
        },
      ]),
      ctx(),
    );
    assert.deepEqual(s, {
      subnet: '10.5.0.0/16',
      gateway: '10.5.0.254',
      ipRange: '10.5.10.0/24',
      auxAddresses: { router: '10.5.0.2' },
    });
  });

  it('without a gateway takes the first free address of the range, as dockerd', () => {
    const [inRange] = planSubnets(v4([{ subnet: '10.5.0.0/16', ipRange: '10.5.10.0/24' }]), ctx());
    assert.equal(inRange?.gateway, '10.5.10.0');
    const [skipAux] = planSubnets(
      v4([{ subnet: '10.6.0.0/24', auxAddresses: { a: '10.6.0.1', b: '10.6.0.2' } }]),
      ctx(),
    );
    assert.equal(skipAux?.gateway, '10.6.0.3');
  });

  it('refuses a subnet that overlaps an existing network (403, dockerd wording)', () => {
    assert.throws(() => planSubnets(v4([{ subnet: '172.17.5.0/24' }]), ctx()), {
      kind: 'forbidden',
      message: 'invalid pool request: Pool overlaps with other one on this address space',
    });
  });

  it('says so when the pools are exhausted', () => {
    assert.throws(() => planSubnets(v4([]), ctx({ existing: [p('0.0.0.0/0')] })), {
      kind: 'forbidden',
      message:
        'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
    });
  });

  it('dual stack: an IPv4 and an IPv6 subnet; IPv6-only networks too', () => {
    const both = planSubnets({ configs: [], ipv4: true, ipv6: true }, ctx());
    assert.deepEqual(both, [
      { subnet: '172.18.0.0/16', gateway: '172.18.0.1' },
      { subnet: 'fd11:2233:4455::/64', gateway: 'fd11:2233:4455::1' },
    ]);
    const v6only = planSubnets(
      { configs: [{ subnet: '2001:db8:1::/64' }], ipv4: false, ipv6: true },
      ctx(),
    );
    assert.deepEqual(v6only, [{ subnet: '2001:db8:1::/64', gateway: '2001:db8:1::1' }]);
  });
});
