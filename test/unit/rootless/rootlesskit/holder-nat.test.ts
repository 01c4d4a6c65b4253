import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dnatRuleArgs, rulesTagged } from '../../../../src/rootless/rootlesskit/holder-nat.js';

describe('holder DNAT rules for source-keeping ports', () => {
  const rule = {
    proto: 'tcp' as const,
    listenIp: '10.0.2.100',
    listenPort: 8080,
    toIp: '172.17.0.2',
    toPort: 80,
    portId: 7,
  };

  it('a rule matches the holder address and port and names its rootlesskit port id', () => {
    assert.deepEqual(dnatRuleArgs(rule), [
      '-p',
      'tcp',
      '-d',
      '10.0.2.100',
      '--dport',
      '8080',
      '-m',
      'comment',
      '--comment',
      'skiff-port-7',
      '-j',
      'DNAT',
      '--to-destination',
      '172.17.0.2:80',
    ]);
  });

  it('an IPv6 destination is bracketed', () => {
    assert.equal(dnatRuleArgs({ ...rule, toIp: 'fd00::2' }).at(-1), '[fd00::2]:80');
  });

  it('finds the rules of one port id in `iptables -S` output, and only those', () => {
    const listing = [
      '-N SKIFF-HOSTPORTS',
      '-A SKIFF-HOSTPORTS -d 10.0.2.100/32 -p tcp -m tcp --dport 8080 -m comment --comment skiff-port-7 -j DNAT --to-destination 172.17.0.2:80',
      '-A SKIFF-HOSTPORTS -d 10.0.2.100/32 -p udp -m udp --dport 53 -m comment --comment skiff-port-17 -j DNAT --to-destination 172.17.0.3:53',
      '-A SKIFF-HOSTPORTS -d 10.0.2.100/32 -p tcp -m tcp --dport 9 -m comment --comment "skiff-port-7" -j DNAT --to-destination 172.17.0.4:9',
      '-A PREROUTING -j SKIFF-HOSTPORTS',
      '',
    ].join('\n');
    const found = rulesTagged(listing, 7);
    assert.equal(found.length, 2);
    assert.deepEqual(found[0]?.slice(0, 2), ['-d', '10.0.2.100/32']);
    assert.ok(found.every((w) => !w.includes('skiff-port-17')));
    assert.deepEqual(rulesTagged(listing, 8), []);
  });
});
