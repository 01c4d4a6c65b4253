// Issue 9: the network store and service (no daemon; a temp directory as data root).
import { after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus, type EngineEvent } from '../../../../src/daemon/events/event-bus.js';
import { NetworkService } from '../../../../src/daemon/networks/network-service.js';
import { NetworkStore } from '../../../../src/daemon/networks/network-store.js';
import type { NetworkCreateRequest } from '../../../../src/daemon/networks/network-request.js';
import { DOCKER_DEFAULT_POOLS } from '../../../../src/network/address-pools.js';
import { parsePrefix, type IpPrefix } from '../../../../src/network/ip-address.js';
import { silentLogger } from '../../../../src/log.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function request(o: Partial<NetworkCreateRequest> & { name: string }): NetworkCreateRequest {
  return {
    driver: '',
    scope: '',
    internal: false,
    attachable: false,
    ingress: false,
    configOnly: false,
    ipamDriver: '',
    ipamOptions: {},
    ipamConfigs: [],
    options: {},
    labels: {},
    ...o,
  };
}

interface Fixture {
  readonly root: string;
  readonly events: EngineEvent[];
  open(o?: { reserved?: IpPrefix[]; clock?: () => Date }): Promise<NetworkService>;
}

async function fixture(): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-networks-'));
  dirs.push(root);
  const events: EngineEvent[] = [];
  const bus = new EventBus();
  bus.subscribe((e) => events.push(e));
  return {
    root,
    events,
    open: async (o = {}) => {
      const s = new NetworkService({
        store: new NetworkStore(root, silentLogger()),
        events: bus,
        log: silentLogger(),
        pools: [...DOCKER_DEFAULT_POOLS, { base: 'fd42:4242:4242::/48', size: 64 }],
        reserved: () => Promise.resolve(o.reserved ?? []),
        ...(o.clock ? { clock: o.clock } : {}),
      });
      await s.load();
      return s;
    },
  };
}

describe('network service', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture();
  });

  it('has bridge, host and none from the first start, with ids that survive a restart', async () => {
    const s = await f.open();
    const names = s.list().map((v) => [v.record.name, v.record.driver]);
    assert.deepEqual(names.sort(), [
      ['bridge', 'bridge'],
      ['host', 'host'],
      ['none', 'null'],
    ]);
    const bridge = s.inspect('bridge').record;
    assert.match(bridge.id, /^[0-9a-f]{64}$/);
    assert.deepEqual(bridge.subnets, [{ subnet: '172.17.0.0/16', gateway: '172.17.0.1' }]);
    assert.equal(bridge.bridgeName, 'skiff0');
    assert.equal(bridge.options['com.docker.network.bridge.default_bridge'], 'true');
    assert.equal(bridge.dnsEnabled, false);
    const again = await f.open();
    assert.deepEqual(
      again
        .list()
        .map((v) => v.record.id)
        .sort(),
      s
        .list()
        .map((v) => v.record.id)
        .sort(),
    );
  });

  it('keeps the default bridge off a host route', async () => {
    const s = await f.open({ reserved: [parsePrefix('172.17.0.0/16') as IpPrefix] });
    assert.equal(s.inspect('bridge').record.subnets[0]?.subnet, '172.18.0.0/16');
  });

  it('creates bridge networks with the next subnet, br-<id12>, DNS and a create event', async () => {
    const s = await f.open();
    const { id, warnings } = await s.create(request({ name: 'proj_default', labels: { a: 'b' } }));
    assert.deepEqual(warnings, []);
    const r = s.inspect('proj_default').record;
    assert.equal(r.id, id);
    assert.equal(r.driver, 'bridge');
    assert.equal(r.bridgeName, `br-${id.slice(0, 12)}`);
    assert.deepEqual(r.subnets, [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }]);
    assert.equal(r.dnsEnabled, true);
    assert.deepEqual(r.labels, { a: 'b' });
    const second = await s.create(request({ name: 'other' }));
    assert.equal(s.inspect(second.id).record.subnets[0]?.subnet, '172.19.0.0/16');
    const created = f.events.filter((e) => e.type === 'network' && e.action === 'create');
    assert.deepEqual(created[0]?.attributes, { name: 'proj_default', type: 'bridge' });
    assert.equal(created[0]?.id, id);
  });

  it('finds by full id, name, then unique id prefix; ambiguity is an error', async () => {
    const s = await f.open();
    const { id } = await s.create(request({ name: 'n1' }));
    assert.equal(s.inspect(id).record.name, 'n1');
    assert.equal(s.inspect(id.slice(0, 5)).record.name, 'n1');
    assert.throws(() => s.inspect('nope'), {
      kind: 'not-found',
      message: 'network nope not found',
    });
    assert.throws(() => s.inspect('n1', 'swarm'), { kind: 'not-found' });
    assert.equal(s.inspect('n1', 'local').record.id, id);
    assert.throws(() => s.inspect(''), { kind: 'not-found' });
  });

  it('refuses duplicates (409), predefined names and drivers (403), unknown drivers (404)', async () => {
    const s = await f.open();
    await s.create(request({ name: 'dup' }));
    await assert.rejects(s.create(request({ name: 'dup' })), {
      kind: 'conflict',
      message: 'network with name dup already exists',
    });
    for (const name of ['bridge', 'host', 'none', 'default'])
      await assert.rejects(s.create(request({ name })), {
        kind: 'forbidden',
        message: `operation is not permitted on predefined ${name} network`,
      });
    for (const driver of ['host', 'null'])
      await assert.rejects(s.create(request({ name: `x${driver}`, driver })), {
        kind: 'forbidden',
        message: `only one instance of "${driver}" network is allowed`,
      });
    await assert.rejects(s.create(request({ name: 'o', driver: 'overlay' })), {
      kind: 'forbidden',
      message: /not a swarm manager/,
    });
    await assert.rejects(s.create(request({ name: 'm', driver: 'macvlan' })), {
      kind: 'not-implemented',
    });
    await assert.rejects(s.create(request({ name: 'p', driver: 'weave' })), {
      kind: 'not-found',
      message: 'could not find plugin weave in v1 plugin registry: plugin not found',
    });
    await assert.rejects(s.create(request({ name: 'bad name' })), { kind: 'invalid-argument' });
    await assert.rejects(s.create(request({ name: '' })), { kind: 'invalid-argument' });
    // Nothing half-made remains of the refused ones.
    assert.deepEqual(
      s.list({ type: ['custom'] }).map((v) => v.record.name),
      ['dup'],
    );
  });

  it('honours IPAM, internal, IPv6 and the bridge name and MTU options', async () => {
    const s = await f.open();
    const { id, warnings } = await s.create(
      request({
        name: 'custom',
        internal: true,
        attachable: true,
        enableIPv6: true,
        ipamConfigs: [{ subnet: '10.7.0.0/24', ipRange: '10.7.0.128/25', gateway: '10.7.0.1' }],
        options: {
          'com.docker.network.bridge.name': 'skiffcustom',
          'com.docker.network.driver.mtu': '1400',
          'com.docker.network.bridge.enable_icc': 'false',
        },
      }),
    );
    const r = s.inspect(id).record;
    assert.equal(r.internal, true);
    assert.equal(r.attachable, true);
    assert.equal(r.enableIPv6, true);
    assert.equal(r.bridgeName, 'skiffcustom');
    assert.equal(r.mtu, 1400);
    assert.deepEqual(r.subnets, [
      { subnet: '10.7.0.0/24', gateway: '10.7.0.1', ipRange: '10.7.0.128/25' },
      { subnet: 'fd42:4242:4242::/64', gateway: 'fd42:4242:4242::1' },
    ]);
    assert.match(warnings.join('\n'), /enable_icc=false/);
    await assert.rejects(
      s.create(
        request({ name: 'samebr', options: { 'com.docker.network.bridge.name': 'skiffcustom' } }),
      ),
      { kind: 'forbidden', message: /networks have same bridge name/ },
    );
    await assert.rejects(
      s.create(request({ name: 'overlap', ipamConfigs: [{ subnet: '10.7.0.0/16' }] })),
      { kind: 'forbidden', message: /Pool overlaps/ },
    );
    await assert.rejects(
      s.create(request({ name: 'mtu', options: { 'com.docker.network.driver.mtu': 'big' } })),
      { kind: 'invalid-argument' },
    );
    await assert.rejects(
      s.create(
        request({ name: 'longbr', options: { 'com.docker.network.bridge.name': 'x'.repeat(16) } }),
      ),
      { kind: 'invalid-argument' },
    );
    await assert.rejects(s.create(request({ name: 'noip', enableIPv4: false })), {
      kind: 'invalid-argument',
      message: /IPv4 or IPv6 must be enabled/,
    });
  });

  it('removes user networks (destroy event), refuses predefined ones with 403, unknown 404', async () => {
    const s = await f.open();
    const { id } = await s.create(request({ name: 'gone' }));
    await s.remove(id.slice(0, 12));
    assert.throws(() => s.inspect('gone'), { kind: 'not-found' });
    assert.deepEqual(await readdir(f.root).then((l) => l.filter((n) => n.startsWith(id))), []);
    assert.ok(f.events.some((e) => e.action === 'destroy' && e.id === id));
    for (const name of ['bridge', 'host', 'none'])
      await assert.rejects(s.remove(name), {
        kind: 'forbidden',
        message: `${name} is a pre-defined network and cannot be removed`,
      });
    await assert.rejects(s.remove('gone'), {
      kind: 'not-found',
      message: 'network gone not found',
    });
  });

  it('refuses to remove a network that containers use (hook for the attach step)', async () => {
    const s = await f.open();
    await s.create(request({ name: 'busy' }));
    s.usedBy = (n) => (n.name === 'busy' ? ['c1'] : []);
    await assert.rejects(s.remove('busy'), { kind: 'forbidden', message: /has active endpoints/ });
    assert.deepEqual(
      s.list({ dangling: true }).map((v) => v.record.name),
      [],
    );
    assert.deepEqual(await s.prune(), []);
  });

  it('lists with filters: driver, name (regexp), id, label, scope, type, dangling', async () => {
    const s = await f.open();
    const a = await s.create(request({ name: 'proj_front', labels: { tier: 'web', x: '' } }));
    await s.create(request({ name: 'proj_back', labels: { tier: 'db' } }));
    const names = (fl: Parameters<NetworkService['list']>[0]): string[] =>
      s
        .list(fl)
        .map((v) => v.record.name)
        .sort();
    assert.deepEqual(names({ driver: ['bridge'] }), ['bridge', 'proj_back', 'proj_front']);
    assert.deepEqual(names({ driver: ['null'] }), ['none']);
    assert.deepEqual(names({ name: ['front'] }), ['proj_front']);
    assert.deepEqual(names({ name: ['^proj_'] }), ['proj_back', 'proj_front']);
    assert.deepEqual(names({ id: [a.id.slice(0, 10)] }), ['proj_front']);
    assert.deepEqual(names({ label: ['tier=web'] }), ['proj_front']);
    assert.deepEqual(names({ label: ['tier'] }), ['proj_back', 'proj_front']);
    assert.deepEqual(names({ label: ['tier', 'x'] }), ['proj_front']);
    assert.deepEqual(names({ scope: ['swarm'] }), []);
    assert.equal(names({ scope: ['local'] }).length, 5);
    assert.deepEqual(names({ type: ['builtin'] }), ['bridge', 'host', 'none']);
    assert.deepEqual(names({ type: ['custom'] }), ['proj_back', 'proj_front']);
    assert.deepEqual(names({ dangling: true }), ['proj_back', 'proj_front']);
    assert.deepEqual(names({ dangling: false }), ['bridge', 'host', 'none']);
    assert.throws(() => s.list({ type: ['weird'] }), {
      kind: 'invalid-argument',
      message: "invalid filter 'type=weird'",
    });
  });

  it('prunes unused user networks by until and label/label!, returning their names', async () => {
    let now = new Date('2025-01-01T00:00:00Z');
    const s = await f.open({ clock: () => now });
    await s.create(request({ name: 'old', labels: { keep: 'no' } }));
    now = new Date('2025-01-02T00:00:00Z');
    await s.create(request({ name: 'new', labels: { keep: 'yes' } }));
    await s.create(request({ name: 'plain' }));
    assert.deepEqual(await s.prune({ until: new Date('2025-01-01T12:00:00Z') }), ['old']);
    assert.deepEqual(await s.prune({ labelNot: ['keep=yes'], label: ['keep'] }), []);
    assert.deepEqual(await s.prune({ labelNot: ['keep=yes'] }), ['plain']);
    assert.deepEqual(await s.prune(), ['new']);
    assert.deepEqual(
      s
        .list()
        .map((v) => v.record.name)
        .sort(),
      ['bridge', 'host', 'none'],
    );
  });

  it('connect and disconnect say plainly that attaching is not there yet', async () => {
    const s = await f.open();
    await s.create(request({ name: 'n' }));
    await assert.rejects(s.connect('n', 'web'), {
      kind: 'not-implemented',
      message: /cannot connect container web to network n: skiff does not attach containers/,
    });
    await assert.rejects(s.disconnect('n', 'web'), { kind: 'not-implemented' });
    await assert.rejects(s.connect('missing', 'web'), { kind: 'not-found' });
  });

  it('ignores leftovers of interrupted writes and files that are not networks', async () => {
    const s = await f.open();
    await writeFile(join(f.root, 'x.json.123.abc.tmp'), '{');
    await writeFile(join(f.root, 'garbage.json'), '{"id": 1}');
    await writeFile(join(f.root, `${'ab'.repeat(32)}.json`), 'not json');
    const again = await f.open();
    assert.equal(again.list().length, s.list().length);
    assert.ok(!(await readdir(f.root)).some((n) => n.endsWith('.tmp')));
  });
});
