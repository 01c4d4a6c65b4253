// Issue 9 (items 3 and 5): containers reaching the host through `host-gateway` (slirp4netns's
// 10.0.2.2, the host's 127.0.0.1 only with daemon.json "allow-host-loopback": true) and legacy
// `--link` (variables and /etc/hosts on the default bridge, aliases on user networks), through
// the real docker CLI. busybox's `wget -T` crashes when it times out, so `timeout 3 wget`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';

/** An HTTP server on the host's 127.0.0.1 (a free port) that answers `hello from the host`. */
async function hostServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return { server, port: addr.port };
}

async function ipOf(d: TestDaemon, name: string): Promise<string> {
  return (
    await dockerOk(d, ['inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', name])
  ).trim();
}

describe('host-gateway and links, host loopback closed (the default)', () => {
  let d: TestDaemon;
  let host: { server: Server; port: number };
  before(async () => {
    d = await daemonWithBusybox();
    host = await hostServer();
  });
  after(async () => {
    host.server.close();
    await d.cleanup();
  });

  it('--add-host h:host-gateway is 10.0.2.2 in /etc/hosts; no host.docker.internal by default', async () => {
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--add-host',
      'h:host-gateway',
      'busybox',
      'cat',
      '/etc/hosts',
    ]);
    assert.match(out, /^10\.0\.2\.2\th$/m);
    assert.doesNotMatch(out, /host\.docker\.internal/);
    const hc = await dockerOk(d, [
      'create',
      '--add-host',
      'host.docker.internal:host-gateway',
      'busybox',
      'true',
    ]);
    const extra = await dockerOk(d, [
      'inspect',
      '-f',
      '{{json .HostConfig.ExtraHosts}}',
      hc.trim(),
    ]);
    assert.equal(extra.trim(), '["host.docker.internal:host-gateway"]');
  });

  it("the host's 127.0.0.1 is not reachable through host-gateway", async () => {
    const r = await docker(d, [
      'run',
      '--rm',
      '--add-host',
      'host.docker.internal:host-gateway',
      'busybox',
      'timeout',
      '3',
      'wget',
      '-qO-',
      `http://host.docker.internal:${host.port}/`,
    ]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /hello from the host/);
    // The name resolved: the failure is the connection to 10.0.2.2, not the lookup.
    assert.match(r.stderr, /10\.0\.2\.2/);
  });

  it('--link on the default bridge: variables, /etc/hosts, HostConfig.Links', async () => {
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'db',
      '-e',
      'POSTGRES_USER=app',
      '--expose',
      '5432',
      'busybox',
      'sleep',
      '600',
    ]);
    const dbIp = await ipOf(d, 'db');
    assert.match(dbIp, /^\d+\.\d+\.\d+\.\d+$/);
    const dbId = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'db'])).trim();
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--name',
      'web',
      '--link',
      'db:dbalias',
      'busybox',
      'sh',
      '-c',
      'env; cat /etc/hosts',
    ]);
    for (const v of [
      `DBALIAS_PORT=tcp://${dbIp}:5432`,
      `DBALIAS_PORT_5432_TCP=tcp://${dbIp}:5432`,
      `DBALIAS_PORT_5432_TCP_ADDR=${dbIp}`,
      'DBALIAS_PORT_5432_TCP_PORT=5432',
      'DBALIAS_PORT_5432_TCP_PROTO=tcp',
      'DBALIAS_NAME=/web/dbalias',
      'DBALIAS_ENV_POSTGRES_USER=app',
    ])
      assert.ok(out.split('\n').includes(v), `${v} missing in:\n${out}`);
    assert.doesNotMatch(out, /DBALIAS_ENV_PATH=/);
    assert.ok(
      out.split('\n').includes(`${dbIp}\tdbalias ${dbId.slice(0, 12)} db`),
      `hosts line missing in:\n${out}`,
    );
    await dockerOk(d, ['create', '--name', 'web2', '--link', 'db:dbalias', 'busybox', 'true']);
    const links = await dockerOk(d, ['inspect', '-f', '{{json .HostConfig.Links}}', 'web2']);
    assert.equal(links.trim(), '["/db:/web2/dbalias"]');
  });

  it('a link to a stopped container is refused at start, to an unknown one at create', async () => {
    await dockerOk(d, ['create', '--name', 'stopped', 'busybox', 'true']);
    const r = await docker(d, [
      'run',
      '--rm',
      '--name',
      'linker',
      '--link',
      'stopped:s',
      'busybox',
      'true',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Cannot link to a non running container: \/stopped AS \/linker\/s/);
    const u = await docker(d, ['create', '--link', 'nope:x', 'busybox', 'true']);
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /could not get container for nope: No such container: nope/);
  });

  it('on a user-defined network a link is an alias of a container there', async () => {
    await dockerOk(d, ['network', 'create', 'linknet']);
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'svc',
      '--network',
      'linknet',
      'busybox',
      'sleep',
      '600',
    ]);
    const ip = (
      await dockerOk(d, ['inspect', '-f', '{{.NetworkSettings.Networks.linknet.IPAddress}}', 'svc'])
    ).trim();
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--network',
      'linknet',
      '--link',
      'svc:backend',
      'busybox',
      'sh',
      '-c',
      'cat /etc/hosts; env',
    ]);
    assert.ok(out.split('\n').includes(`${ip}\tbackend`), out);
    assert.doesNotMatch(out, /BACKEND_NAME=/);
  });
});

describe('host-gateway with "allow-host-loopback": true', () => {
  let d: TestDaemon;
  let host: { server: Server; port: number };
  before(async () => {
    d = await daemonWithBusybox({ config: { 'allow-host-loopback': true } });
    host = await hostServer();
  });
  after(async () => {
    host.server.close();
    await d.cleanup();
  });

  it("a container on the default bridge and one on a user network reach the host's 127.0.0.1", async () => {
    await dockerOk(d, ['network', 'create', 'hostnet']);
    for (const net of ['bridge', 'hostnet']) {
      const out = await dockerOk(d, [
        'run',
        '--rm',
        '--network',
        net,
        '--add-host',
        'host.docker.internal:host-gateway',
        'busybox',
        'timeout',
        '3',
        'wget',
        '-qO-',
        `http://host.docker.internal:${host.port}/`,
      ]);
      assert.equal(out, 'hello from the host\n', net);
    }
  });
});
