import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  gatherNetFacts,
  grantsNetBindService,
  networkChecks,
} from '../../../../src/rootless/preflight/network-checks.js';
import { fakeFacts } from './fake-facts.js';

const RK = '/usr/bin/rootlesskit';

describe('grantsNetBindService', () => {
  it('reads getcap output, old and new formats', () => {
    assert.equal(grantsNetBindService(`${RK} cap_net_bind_service=ep\n`), true);
    assert.equal(grantsNetBindService(`${RK} = cap_net_bind_service+ep\n`), true);
    assert.equal(grantsNetBindService(`${RK} cap_net_admin,cap_net_bind_service+eip`), true);
    assert.equal(grantsNetBindService(`${RK} cap_net_bind_service=p`), false);
    assert.equal(grantsNetBindService(`${RK} cap_net_raw=ep`), false);
    assert.equal(grantsNetBindService(''), false);
  });
});

describe('networkChecks (skiff setup check, skiff doctor)', () => {
  const files = {
    '/proc/sys/net/ipv4/ip_unprivileged_port_start': '1024\n',
    '/proc/sys/net/ipv4/ping_group_range': '1\t0\n',
    '/etc/subgid': 'alice:100000:65536\n',
  };

  it('gathers the sysctls, the capability of rootlesskit and the subordinate gids', async () => {
    const f = await gatherNetFacts(
      fakeFacts({
        files,
        binaries: ['rootlesskit'],
        capabilities: { [RK]: `${RK} cap_net_bind_service=ep\n` },
      }),
    );
    assert.deepEqual(f, {
      unprivilegedPortStart: 1024,
      rootlesskit: { path: RK, capNetBind: true },
      pingGroupRange: [1, 0],
      gid: 1000,
      subGids: [{ start: 100000, count: 65536 }],
    });
  });

  it('at the defaults: both warn, with the exact fixes', async () => {
    const [ports, ping] = await networkChecks(fakeFacts({ files, binaries: ['rootlesskit'] }));
    assert.equal(ports?.id, 'unprivileged-port-start');
    assert.equal(ports?.status, 'warn');
    assert.deepEqual(ports?.fix, [
      'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0',
      "echo 'net.ipv4.ip_unprivileged_port_start=0' | sudo tee -a /etc/sysctl.d/99-rootless.conf && sudo sysctl --system",
      `or: sudo setcap cap_net_bind_service=ep ${RK} && restart the daemon`,
    ]);
    assert.equal(ping?.id, 'ping-group-range');
    assert.equal(ping?.status, 'warn');
    assert.deepEqual(ping?.fix, [
      'sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"',
      "echo 'net.ipv4.ping_group_range=0 2147483647' | sudo tee -a /etc/sysctl.d/99-rootless.conf && sudo sysctl --system",
    ]);
  });

  it('ok with rootlesskit capable and the full ping range', async () => {
    const rs = await networkChecks(
      fakeFacts({
        files: { ...files, '/proc/sys/net/ipv4/ping_group_range': '0\t2147483647\n' },
        binaries: ['rootlesskit'],
        capabilities: { [RK]: `${RK} cap_net_bind_service=ep\n` },
      }),
    );
    assert.deepEqual(
      rs.map((r) => r.status),
      ['ok', 'ok'],
    );
  });

  it('unknown values warn without a fix (no /proc, no rootlesskit)', async () => {
    const rs = await networkChecks(fakeFacts({}));
    assert.deepEqual(
      rs.map((r) => [r.status, r.detail, r.fix]),
      [
        ['warn', 'unknown', undefined],
        ['warn', 'unknown', undefined],
      ],
    );
  });
});
