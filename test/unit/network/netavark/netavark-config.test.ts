// The JSON netavark gets. The same document was checked against Debian's netavark 1.4 (setup,
// then teardown, in throwaway namespaces): test/e2e-root/netavark-backend.test.ts runs it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BridgeNetworkSpec } from '../../../../src/network/network-backend.js';
import {
  netavarkNetwork,
  netavarkOptions,
} from '../../../../src/network/netavark/netavark-config.js';

const ID = '3f'.repeat(32);
const web: BridgeNetworkSpec = {
  id: ID,
  name: 'proj_default',
  bridgeName: `br-${ID.slice(0, 12)}`,
  subnets: [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }],
  internal: false,
  dnsEnabled: true,
  isolate: true,
  created: '2025-01-02T03:04:05.678Z',
};

describe('netavark network config', () => {
  it('writes a bridge network as Podman does', () => {
    assert.deepEqual(netavarkNetwork(web), {
      name: 'proj_default',
      id: ID,
      driver: 'bridge',
      network_interface: 'br-3f3f3f3f3f3f',
      created: '2025-01-02T03:04:05.678Z',
      subnets: [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }],
      ipv6_enabled: false,
      internal: false,
      dns_enabled: true,
      options: { isolate: 'true' },
      ipam_options: { driver: 'host-local' },
    });
  });

  it('carries mtu, internal, IPv6 and an ip-range as lease range of usable addresses', () => {
    const n = netavarkNetwork({
      ...web,
      internal: true,
      isolate: false,
      mtu: 1400,
      subnets: [
        { subnet: '10.5.0.0/16', gateway: '10.5.0.1', ipRange: '10.5.10.0/24' },
        { subnet: '10.6.0.0/24', gateway: '10.6.0.1', ipRange: '10.6.0.0/24' },
        { subnet: 'fd00:1::/64', gateway: 'fd00:1::1' },
      ],
    });
    assert.equal(n.internal, true);
    assert.equal(n.ipv6_enabled, true);
    assert.deepEqual(n.options, { mtu: '1400' });
    assert.deepEqual(n.subnets[0]?.lease_range, { start_ip: '10.5.10.0', end_ip: '10.5.10.255' });
    // The range equals the subnet: its own address and broadcast are not leased.
    assert.deepEqual(n.subnets[1]?.lease_range, { start_ip: '10.6.0.1', end_ip: '10.6.0.254' });
    assert.equal(n.subnets[2]?.lease_range, undefined);
  });

  it('writes the setup document: both maps keyed by network name, static ips, aliases, ports', () => {
    const doc = netavarkOptions({
      containerId: 'c'.repeat(64),
      containerName: '/proj_web_1',
      netnsPath: '/proc/42/ns/net',
      endpoints: [
        {
          network: web,
          interfaceName: 'eth0',
          addresses: ['172.18.0.2'],
          aliases: ['web', 'cccccccccccc'],
          macAddress: '02:42:ac:12:00:02',
        },
      ],
      portMappings: [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', range: 1 }],
      dnsServers: ['10.0.2.3'],
    });
    assert.deepEqual(doc, {
      container_id: 'c'.repeat(64),
      container_name: 'proj_web_1',
      networks: {
        proj_default: {
          interface_name: 'eth0',
          static_ips: ['172.18.0.2'],
          aliases: ['web', 'cccccccccccc'],
          static_mac: '02:42:ac:12:00:02',
        },
      },
      network_info: { proj_default: netavarkNetwork(web) },
      port_mappings: [
        { host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' },
      ],
      dns_servers: ['10.0.2.3'],
    });
  });

  it('leaves out empty optional parts', () => {
    const doc = netavarkOptions({
      containerId: 'c'.repeat(64),
      containerName: 'x',
      netnsPath: '/n',
      endpoints: [{ network: web, interfaceName: 'eth0', addresses: ['172.18.0.9'], aliases: [] }],
      portMappings: [],
    });
    assert.deepEqual(Object.keys(doc), [
      'container_id',
      'container_name',
      'networks',
      'network_info',
    ]);
    assert.deepEqual(doc.networks['proj_default'], {
      interface_name: 'eth0',
      static_ips: ['172.18.0.9'],
    });
  });
});
