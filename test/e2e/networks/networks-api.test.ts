// Issue 9 (first part): the /networks API with the real docker CLI and Debian's docker-compose
// v1: create, ls with filters, inspect, rm, prune, dockerd's refusals and statuses, events,
// persistence across a restart, `docker system prune`, and compose's `<project>_default`.
// Attaching containers is covered by container-networks.test.ts; here only connect and
// disconnect of a created container.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { exec } from '../../helpers/exec.js';
import { rawRequest } from '../../helpers/raw-request.js';

interface InspectJson {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: {
    Driver: string;
    Options: Record<string, string> | null;
    Config: {
      Subnet: string;
      Gateway?: string;
      IPRange?: string;
      AuxiliaryAddresses?: Record<string, string>;
    }[];
  };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, unknown>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

async function inspect(d: TestDaemon, ref: string): Promise<InspectJson> {
  const list = JSON.parse(await dockerOk(d, ['network', 'inspect', ref])) as InspectJson[];
  assert.equal(list.length, 1);
  const n = list[0];
  assert.ok(n);
  return n;
}

async function names(d: TestDaemon, ...filters: string[]): Promise<string[]> {
  const args = ['network', 'ls', '--format', '{{.Name}}'];
  for (const f of filters) args.push('--filter', f);
  return (await dockerOk(d, args))
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

describe('networks API', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('has bridge, host and none from the first start', async () => {
    const out = await dockerOk(d, [
      'network',
      'ls',
      '--format',
      '{{.Name}} {{.Driver}} {{.Scope}}',
    ]);
    assert.deepEqual(out.trim().split('\n').sort(), [
      'bridge bridge local',
      'host host local',
      'none null local',
    ]);
    const bridge = await inspect(d, 'bridge');
    assert.match(bridge.Id, /^[0-9a-f]{64}$/);
    assert.deepEqual(bridge.IPAM.Config, [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]);
    assert.equal(bridge.Options['com.docker.network.bridge.name'], 'skiff0');
    assert.equal(bridge.Options['com.docker.network.bridge.default_bridge'], 'true');
    assert.equal((await inspect(d, 'none')).Driver, 'null');
  });

  it('creates a network and inspects it in dockerd shape, by name, id and id prefix', async () => {
    const id = (await dockerOk(d, ['network', 'create', '--label', 'team=a', 'web'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const n = await inspect(d, 'web');
    assert.equal(n.Id, id);
    assert.equal(n.Name, 'web');
    assert.equal(n.Driver, 'bridge');
    assert.equal(n.Scope, 'local');
    assert.equal(n.EnableIPv4, true);
    assert.equal(n.EnableIPv6, false);
    assert.equal(n.Internal, false);
    assert.equal(n.Attachable, false);
    assert.equal(n.Ingress, false);
    assert.equal(n.ConfigOnly, false);
    assert.deepEqual(n.ConfigFrom, { Network: '' });
    assert.deepEqual(n.IPAM, {
      Driver: 'default',
      Options: {},
      Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }],
    });
    assert.deepEqual(n.Containers, {});
    assert.deepEqual(n.Options, {});
    assert.deepEqual(n.Labels, { team: 'a' });
    assert.ok(Math.abs(Date.parse(n.Created) - Date.now()) < 10 * 60_000, n.Created);
    assert.equal((await inspect(d, id)).Name, 'web');
    assert.equal((await inspect(d, id.slice(0, 7))).Name, 'web');
    // The list carries the same shape.
    const raw = await rawRequest(d.socket, 'GET', '/v1.50/networks?filters={"name":["^web$"]}');
    assert.equal(raw.status, 200);
    const [item] = JSON.parse(raw.body) as InspectJson[];
    assert.equal(item?.Id, id);
    assert.deepEqual(item?.IPAM.Config, n.IPAM.Config);
  });

  it('honours subnet, ip-range, gateway, aux addresses, IPv6, internal and bridge options', async () => {
    await dockerOk(d, [
      'network',
      'create',
      '--subnet',
      '10.20.0.0/24',
      '--ip-range',
      '10.20.0.128/25',
      '--gateway',
      '10.20.0.1',
      '--aux-address',
      'router=10.20.0.5',
      '--ipv6',
      '--internal',
      '--attachable',
      '-o',
      'com.docker.network.bridge.name=skiffbr1',
      '-o',
      'com.docker.network.driver.mtu=1400',
      'custom',
    ]);
    const n = await inspect(d, 'custom');
    assert.equal(n.Internal, true);
    assert.equal(n.Attachable, true);
    assert.equal(n.EnableIPv6, true);
    assert.deepEqual(n.IPAM.Config[0], {
      Subnet: '10.20.0.0/24',
      IPRange: '10.20.0.128/25',
      Gateway: '10.20.0.1',
      AuxiliaryAddresses: { router: '10.20.0.5' },
    });
    assert.match(n.IPAM.Config[1]?.Subnet ?? '', /^fd[0-9a-f]{2}:[0-9a-f:]+::\/64$/);
    assert.deepEqual(n.Options, {
      'com.docker.network.bridge.name': 'skiffbr1',
      'com.docker.network.driver.mtu': '1400',
    });
    const clash = await docker(d, ['network', 'create', '--subnet', '10.20.0.0/16', 'clash']);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /Pool overlaps with other one on this address space/);
    const bad = await docker(d, ['network', 'create', '--subnet', '10.30.1.0/16', 'bad']);
    assert.match(bad.stderr, /invalid subnet 10\.30\.1\.0\/16: it should be 10\.30\.0\.0\/16/);
  });

  it("refuses what dockerd refuses, with dockerd's statuses and words", async () => {
    const dup = await docker(d, ['network', 'create', 'web']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /network with name web already exists/);
    const body = (o: Record<string, unknown>): string => JSON.stringify(o);
    const create = (o: Record<string, unknown>) =>
      rawRequest(d.socket, 'POST', '/v1.50/networks/create', body(o));
    assert.equal((await create({ Name: 'web', CheckDuplicate: true })).status, 409);
    const pre = await create({ Name: 'bridge' });
    assert.equal(pre.status, 403);
    assert.match(pre.body, /operation is not permitted on predefined bridge network/);
    for (const driver of ['host', 'null']) {
      const r = await docker(d, ['network', 'create', '-d', driver, `x${driver}`]);
      assert.match(r.stderr, new RegExp(`only one instance of "${driver}" network is allowed`));
      assert.equal((await create({ Name: `y${driver}`, Driver: driver })).status, 403);
    }
    assert.equal((await create({ Name: 'p', Driver: 'nosuchplugin' })).status, 404);
    assert.equal((await create({ Name: 'bad name' })).status, 400);
    assert.equal((await create({ Name: 'q', IPAM: { Config: [{ Subnet: 'x' }] } })).status, 400);
    assert.equal((await create({ Name: 7 })).status, 400);

    for (const name of ['bridge', 'host', 'none']) {
      const r = await docker(d, ['network', 'rm', name]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`${name} is a pre-defined network and cannot be removed`));
      assert.equal((await rawRequest(d.socket, 'DELETE', `/v1.50/networks/${name}`)).status, 403);
    }
    const missing = await docker(d, ['network', 'rm', 'nosuch']);
    assert.match(missing.stderr, /network nosuch not found/);
    assert.equal((await rawRequest(d.socket, 'DELETE', '/v1.50/networks/nosuch')).status, 404);
    assert.equal((await rawRequest(d.socket, 'GET', '/v1.50/networks/nosuch')).status, 404);
    const inspectMissing = await docker(d, ['network', 'inspect', 'nosuch']);
    assert.notEqual(inspectMissing.code, 0);
    const badFilter = await rawRequest(d.socket, 'GET', '/v1.50/networks?filters={"type":["x"]}');
    assert.equal(badFilter.status, 400);
  });

  it('connect and disconnect a created container; unknown networks 404, not connected 403', async () => {
    await dockerOk(d, ['create', '--name', 'box', 'busybox', 'true']);
    await dockerOk(d, ['network', 'connect', '--alias', 'b', 'web', 'box']);
    const box = JSON.parse(await dockerOk(d, ['inspect', 'box'])) as {
      NetworkSettings: { Networks: Record<string, { NetworkID: string; Aliases: string[] }> };
    }[];
    const webId = (await inspect(d, 'web')).Id;
    assert.equal(box[0]?.NetworkSettings.Networks['web']?.NetworkID, webId);
    assert.deepEqual(box[0]?.NetworkSettings.Networks['web']?.Aliases, ['b']);
    const twice = await docker(d, ['network', 'connect', 'web', 'box']);
    assert.match(twice.stderr, /already exists in network web/);
    await dockerOk(d, ['network', 'disconnect', 'web', 'box']);
    const dis = await rawRequest(
      d.socket,
      'POST',
      '/v1.50/networks/web/disconnect',
      JSON.stringify({ Container: 'box' }),
    );
    assert.equal(dis.status, 403);
    const unknown = await rawRequest(
      d.socket,
      'POST',
      '/v1.50/networks/nosuch/connect',
      JSON.stringify({ Container: 'box' }),
    );
    assert.equal(unknown.status, 404);
    await dockerOk(d, ['rm', 'box']);
  });

  it('lists with filters: driver, name, id, label, scope, type, dangling', async () => {
    const webId = (await inspect(d, 'web')).Id;
    assert.deepEqual(await names(d, 'driver=null'), ['none']);
    assert.deepEqual(await names(d, 'driver=bridge'), ['bridge', 'custom', 'web']);
    assert.deepEqual(await names(d, 'name=cust'), ['custom']);
    assert.deepEqual(await names(d, `id=${webId.slice(0, 10)}`), ['web']);
    assert.deepEqual(await names(d, 'label=team=a'), ['web']);
    assert.deepEqual(await names(d, 'label=team'), ['web']);
    assert.deepEqual(await names(d, 'scope=swarm'), []);
    assert.deepEqual(await names(d, 'type=builtin'), ['bridge', 'host', 'none']);
    assert.deepEqual(await names(d, 'type=custom'), ['custom', 'web']);
    assert.deepEqual(await names(d, 'dangling=true'), ['custom', 'web']);
    assert.deepEqual(await names(d, 'dangling=false'), ['bridge', 'host', 'none']);
    const q = (
      await dockerOk(d, ['network', 'ls', '-q', '--no-trunc', '--filter', 'name=^web$'])
    ).trim();
    assert.equal(q, webId);
  });

  it('network events: create and destroy with name and type', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = (await dockerOk(d, ['network', 'create', 'evnet'])).trim();
    await dockerOk(d, ['network', 'rm', 'evnet']);
    const out = await dockerOk(d, [
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      'type=network',
      '--filter',
      'network=evnet',
      '--format',
      '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}',
    ]);
    assert.deepEqual(out.trim().split('\n'), [
      `create ${id} evnet bridge`,
      `destroy ${id} evnet bridge`,
    ]);
  });

  it('prune removes unused user networks by label, then all; system prune passes', async () => {
    await dockerOk(d, ['network', 'create', '--label', 'prune=me', 'p1']);
    await dockerOk(d, ['network', 'create', 'p2']);
    const labelled = await dockerOk(d, ['network', 'prune', '-f', '--filter', 'label=prune=me']);
    assert.match(labelled, /Deleted Networks:\np1\n/);
    assert.ok((await names(d)).includes('p2'));
    const raw = await rawRequest(
      d.socket,
      'POST',
      `/v1.50/networks/prune?filters=${encodeURIComponent('{"label!":["team=a"]}')}`,
    );
    assert.equal(raw.status, 200);
    assert.deepEqual(
      (JSON.parse(raw.body) as { NetworksDeleted: string[] }).NetworksDeleted.sort(),
      ['custom', 'p2'],
    );
    const sys = await docker(d, ['system', 'prune', '-f']);
    assert.equal(sys.code, 0, sys.stderr);
    assert.match(sys.stdout, /Deleted Networks:\nweb\n/);
    assert.deepEqual(await names(d), ['bridge', 'host', 'none']);
  });

  it("docker-compose v1 gets past its network step: <project>_default with compose's labels", async () => {
    const dir = join(d.dir, 'compose');
    await exec('mkdir', ['-p', dir]);
    await writeFile(
      join(dir, 'docker-compose.yml'),
      'version: "2.4"\nservices:\n  web:\n    image: busybox\n    command: ["sleep", "300"]\n',
    );
    const compose = (args: string[]) =>
      exec('/usr/bin/docker-compose', ['-p', 'skiffnet', ...args], {
        cwd: dir,
        env: { ...d.env, COMPOSE_INTERACTIVE_NO_CLI: '1' },
        timeoutMs: 180_000,
      });
    const up = await compose(['up', '--no-start']);
    assert.match(up.stderr, /Creating network "skiffnet_default" with the default driver/);
    const n = await inspect(d, 'skiffnet_default');
    assert.equal(n.Driver, 'bridge');
    assert.equal(n.Labels['com.docker.compose.network'], 'default');
    assert.equal(n.Labels['com.docker.compose.project'], 'skiffnet');
    assert.match(n.Labels['com.docker.compose.version'] ?? '', /^1\.29\./);
    // A second `up` finds the network instead of failing on a duplicate.
    const again = await compose(['up', '--no-start']);
    assert.doesNotMatch(again.stderr, /already exists/);
    const down = await compose(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /Removing network skiffnet_default/);
    assert.ok(!(await names(d)).includes('skiffnet_default'));
  });
});

describe('networks persist across a daemon restart', () => {
  let d: TestDaemon;
  after(async () => {
    await d.cleanup();
  });

  it('keeps user networks and the predefined ids', async () => {
    d = await startDaemon();
    const before = await dockerOk(d, ['network', 'ls', '-q', '--no-trunc']);
    const id = (await dockerOk(d, ['network', 'create', 'kept'])).trim();
    assert.equal(await d.stop(), 0);
    d = await startDaemon({ dir: d.dir });
    assert.equal((await inspect(d, 'kept')).Id, id);
    const after = await dockerOk(d, ['network', 'ls', '-q', '--no-trunc']);
    assert.deepEqual(after.trim().split('\n').sort(), [...before.trim().split('\n'), id].sort());
    // The next network does not reuse the kept one's subnet.
    await dockerOk(d, ['network', 'create', 'next']);
    assert.equal((await inspect(d, 'next')).IPAM.Config[0]?.Subnet, '172.19.0.0/16');
  });
});
