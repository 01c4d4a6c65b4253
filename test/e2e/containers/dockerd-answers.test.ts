// Issue 10: where clients match on dockerd's words and statuses — log drivers, resize, swarm,
// plugins, logs --tail, labels on every container event, /version.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { rawRequest } from '../../helpers/raw-request.js';

describe('dockerd answers', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it("an unknown log driver: dockerd's message, nothing created", async () => {
    const r = await docker(d, [
      'run',
      '--name',
      'nolog',
      '--log-driver',
      'nosuch',
      'busybox',
      'true',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /logger: no log driver named 'nosuch' is registered/);
    assert.equal((await dockerOk(d, ['ps', '-aq', '--filter', 'name=nolog'])).trim(), '');
  });

  it('resize of a container that is not running is a 409, as dockerd', async () => {
    await dockerOk(d, ['create', '--name', 'cold', 'busybox', 'true']);
    const r = await rawRequest(d.socket, 'POST', '/containers/cold/resize?h=20&w=80');
    assert.equal(r.status, 409, r.body);
    assert.match(r.body, /is not running/);
  });

  it('swarm endpoints answer 503 "not a swarm manager"; the plugin list is empty', async () => {
    for (const path of ['/swarm', '/nodes', '/services', '/secrets/x']) {
      const r = await rawRequest(d.socket, 'GET', path);
      assert.equal(r.status, 503, `${path}: ${r.body}`);
      assert.match(r.body, /This node is not a swarm manager/);
    }
    const nodes = await docker(d, ['node', 'ls']);
    assert.notEqual(nodes.code, 0);
    assert.match(nodes.stderr, /This node is not a swarm manager/);
    const plugins = await rawRequest(d.socket, 'GET', '/plugins');
    assert.equal(plugins.status, 200);
    assert.deepEqual(JSON.parse(plugins.body), []);
    await dockerOk(d, ['plugin', 'ls']);
  });

  it('logs with a tail that is not a number gives all lines, as dockerd', async () => {
    await dockerOk(d, ['run', '--name', 'three', 'busybox', 'sh', '-c', 'echo a; echo b; echo c']);
    assert.equal(await dockerOk(d, ['logs', '--tail', 'abc', 'three']), 'a\nb\nc\n');
    assert.equal(await dockerOk(d, ['logs', '--tail', '1', 'three']), 'c\n');
  });

  it("every container event carries the container's labels, so label filters see exits", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await dockerOk(d, ['run', '--name', 'labelled', '--label', 'team=blue', 'busybox', 'true']);
    await dockerOk(d, ['rm', 'labelled']);
    const actions = await dockerOk(d, [
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      'label=team=blue',
      '--format',
      '{{.Action}} {{index .Actor.Attributes "image"}}',
    ]);
    for (const a of ['create', 'start', 'die', 'destroy'])
      assert.match(actions, new RegExp(`^${a} busybox$`, 'm'), actions);
  });

  it('version reports the Docker Engine release skiff matches, and skiff itself', async () => {
    const v = JSON.parse(await dockerOk(d, ['version', '--format', '{{json .Server}}'])) as {
      Version: string;
      Components: { Name: string; Version: string }[];
    };
    assert.equal(v.Version, '28.2.0');
    assert.ok(v.Components.some((c) => c.Name === 'skiff'));
  });
});
