// What skiffd hands netavark when a container joins a network: the container's --dns servers
// as `dns_servers`, which aardvark-dns forwards that container's other queries to (Docker's
// embedded DNS forwards to the --dns servers the same way).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerNetworking } from '../../../../src/daemon/containers/container-networking.js';
import type { ContainerRecord } from '../../../../src/daemon/containers/container-record.js';
import type { NetworkRecord } from '../../../../src/daemon/networks/network-record.js';
import type {
  AttachRequest,
  AttachResult,
  NetworkBackend,
} from '../../../../src/network/network-backend.js';
import { netavarkOptions } from '../../../../src/network/netavark/netavark-config.js';
import { silentLogger } from '../../../../src/log.js';

const NET: NetworkRecord = {
  id: 'a'.repeat(64),
  name: 'appnet',
  driver: 'bridge',
  created: '2025-01-01T00:00:00.000Z',
  predefined: false,
  internal: false,
  attachable: false,
  enableIPv4: true,
  enableIPv6: false,
  ipamDriver: 'default',
  subnets: [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }],
  options: {},
  labels: {},
  bridgeName: 'br-aaaaaaaaaaaa',
  dnsEnabled: true,
};

class RecordingBackend implements NetworkBackend {
  readonly setups: AttachRequest[] = [];
  setup(req: AttachRequest): Promise<AttachResult> {
    this.setups.push(req);
    return Promise.resolve({ networks: {}, dnsServers: [], dnsSearch: [] });
  }
  teardown(): Promise<void> {
    return Promise.resolve();
  }
}

function record(dns: string[]): ContainerRecord {
  return {
    id: 'c'.repeat(64),
    name: 'web',
    hostConfig: { dns },
    endpoints: { appnet: { aliases: [], links: [], networkId: NET.id } },
    state: {},
  } as unknown as ContainerRecord;
}

async function requestFor(dns: string[], defaultDns?: string[]): Promise<AttachRequest> {
  const backend = new RecordingBackend();
  const n = new ContainerNetworking({
    network: () => NET,
    backend,
    netns: {} as never,
    netnsRoot: '/nonexistent',
    log: silentLogger(),
    ...(defaultDns ? { defaultDns } : {}),
  });
  await n.connect(record(dns), { sandboxKey: '/ns', endpoints: [] }, 'appnet', []);
  const [req] = backend.setups;
  assert.ok(req);
  return req;
}

describe('network setup request: dns_servers', () => {
  it("carries the container's --dns servers to netavark", async () => {
    const req = await requestFor(['192.0.2.53']);
    assert.deepEqual(req.dnsServers, ['192.0.2.53']);
    assert.deepEqual(netavarkOptions(req).dns_servers, ['192.0.2.53']);
  });

  it("falls back to daemon.json's dns; none at all leaves the field out", async () => {
    assert.deepEqual((await requestFor([], ['9.9.9.9'])).dnsServers, ['9.9.9.9']);
    const plain = await requestFor([]);
    assert.equal(plain.dnsServers, undefined);
    assert.equal('dns_servers' in netavarkOptions(plain), false);
  });
});
