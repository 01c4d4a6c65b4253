// Issue 9: testcontainers-node (the library, unmodified) against a real skiff daemon. It creates
// a user network, starts containers on it with aliases and with published ports, runs its own
// wait strategies (exec in the container, a TCP connect from the host) and cleans up through the
// Docker API, which is what most users of skiff's Docker compatibility actually run.
//
// Environment: DOCKER_HOST points at the test daemon; /.dockerenv exists on these machines, so
// testcontainers believes it runs inside a container and would look for a gateway address:
// TESTCONTAINERS_HOST_OVERRIDE tells it the published ports are on 127.0.0.1. Ryuk (the reaper
// container) is disabled because its image lives on Docker Hub, which is unreachable here; the
// test removes what it started itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GenericContainer,
  Network,
  Wait,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { busyboxRef } from '../../helpers/test-registry-env.js';

const PAGE = 'hello from web';

/** A busybox httpd on 8080 serving one page (httpd answers 404 for a directory without index). */
function webServer(): GenericContainer {
  return new GenericContainer(busyboxRef()).withCommand([
    'sh',
    '-c',
    `mkdir -p /www && echo '${PAGE}' > /www/index.html && exec httpd -f -p 8080 -h /www`,
  ]);
}

describe('testcontainers-node against skiff', () => {
  let d: TestDaemon;
  const started: StartedTestContainer[] = [];
  let network: StartedNetwork | undefined;

  before(async () => {
    d = await daemonWithBusybox();
    // testcontainers reads these when it first needs a client, i.e. in the first test. node --test
    // runs every file in its own process, so they reach no other test.
    process.env['DOCKER_HOST'] = `unix://${d.socket}`;
    process.env['TESTCONTAINERS_HOST_OVERRIDE'] = '127.0.0.1';
    process.env['TESTCONTAINERS_RYUK_DISABLED'] = 'true';
  });

  after(async () => {
    for (const c of started.reverse()) await c.stop({ timeout: 1 }).catch(() => undefined);
    await network?.stop().catch(() => undefined);
    await d.cleanup();
  });

  it('a container on a Network reaches another one by its network alias', async () => {
    network = await new Network().start();
    const web = await webServer()
      .withNetwork(network)
      .withNetworkAliases('web')
      .withWaitStrategy(Wait.forSuccessfulCommand('wget -qO- http://127.0.0.1:8080/'))
      .start();
    started.push(web);
    const client = await new GenericContainer(busyboxRef())
      .withNetwork(network)
      .withCommand(['sleep', '600'])
      .start();
    started.push(client);

    // With aliases testcontainers creates the container on the default network and then
    // connects it to the user network (POST /networks/{id}/connect on a created container), so
    // it is on both, as with Docker; without aliases NetworkMode names the network directly.
    assert.deepEqual(web.getNetworkNames().sort(), ['bridge', network.getName()].sort());
    assert.deepEqual(client.getNetworkNames(), [network.getName()]);
    assert.match(web.getIpAddress(network.getName()), /^\d+\.\d+\.\d+\.\d+$/);
    const r = await client.exec(['wget', '-qO-', 'http://web:8080/']);
    assert.equal(r.exitCode, 0, `wget http://web:8080/ failed: ${r.output}`);
    assert.equal(r.stdout.trim(), PAGE);

    // The name is the network's: the daemon's own view agrees with what testcontainers reports.
    const inspect = JSON.parse(await dockerOk(d, ['network', 'inspect', network.getName()])) as {
      Id: string;
      Containers: Record<string, unknown>;
    }[];
    assert.equal(inspect[0]?.Id, network.getId());
    assert.ok(Object.keys(inspect[0]?.Containers ?? {}).includes(web.getId()));
  });

  it('withExposedPorts publishes the port on the host, found through getMappedPort', async () => {
    const web = await webServer().withExposedPorts(8080).start();
    started.push(web);
    const port = web.getMappedPort(8080);
    assert.notEqual(port, 8080);
    const res = await fetch(`http://${web.getHost()}:${port}/`, {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), PAGE);
  });

  it('stop() removes the containers and the network', async () => {
    assert.ok(network);
    const name = network.getName();
    for (const c of started.splice(0)) await c.stop({ timeout: 1 });
    await network.stop();
    network = undefined;
    assert.equal((await dockerOk(d, ['ps', '-aq'])).trim(), '');
    assert.notEqual((await docker(d, ['network', 'inspect', name])).code, 0);
  });
});
