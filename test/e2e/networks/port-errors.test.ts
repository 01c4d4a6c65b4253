// Issue 9 item 4: what -p does when it cannot work, and the truth about -p <port> and -P.
// A host port below net.ipv4.ip_unprivileged_port_start is refused at create (nothing is
// created) with both fixes; a host port in use fails the start with Docker's message and leaves
// no forward, netns or running task behind; random host ports show in port, ps and inspect and
// really reach the container (curl from the host).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { exec } from '../../helpers/exec.js';
import { freePort } from '../../helpers/registry.js';

const HTTPD = ['busybox', 'httpd', '-f', '-p', '80', '-h', '/etc'];

/** curl from the host: the page, or undefined when nothing answers. */
async function curl(port: string): Promise<string | undefined> {
  const r = await exec('/usr/bin/curl', ['-sf', '-m', '3', `http://127.0.0.1:${port}/hostname`]);
  return r.code === 0 ? r.stdout : undefined;
}

/** Whether the host can publish port 81 as an unprivileged user (then the refusal cannot be seen). */
async function lowPortsAllowed(): Promise<boolean> {
  const start = Number(
    (await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim(),
  );
  if (start <= 81) return true;
  const caps = await exec('/usr/sbin/getcap', ['/usr/bin/rootlesskit']).catch(() => undefined);
  return /cap_net_bind_service/.test(caps?.stdout ?? '');
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '0.0.0.0', () => {
      resolve(s);
    });
  });
}

async function names(d: TestDaemon, filter?: string): Promise<string[]> {
  const args = ['ps', '-a', '--format', '{{.Names}}', ...(filter ? ['--filter', filter] : [])];
  return (await dockerOk(d, args)).split('\n').filter((n) => n !== '');
}

interface Inspected {
  Id: string;
  State: { Status: string; Running: boolean; Pid: number };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> };
}

async function inspect(d: TestDaemon, name: string): Promise<Inspected> {
  const [c] = JSON.parse(await dockerOk(d, ['inspect', name])) as Inspected[];
  assert.ok(c);
  return c;
}

/** `docker port <name>` as { "80/tcp": ["0.0.0.0:32768"] }. */
async function ports(d: TestDaemon, name: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const line of (await dockerOk(d, ['port', name])).split('\n')) {
    const m = /^(\S+) -> (\S+)$/.exec(line.trim());
    if (m?.[1] && m[2]) (out[m[1]] ??= []).push(m[2]);
  }
  return out;
}

describe('-p failures and random host ports (rootlesskit port driver)', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('a privileged host port is refused at create, naming both fixes; nothing is created', async (t) => {
    if (await lowPortsAllowed()) {
      t.skip('this host lets unprivileged users bind port 81');
      return;
    }
    const run = await docker(d, ['run', '-d', '--name', 'low', '-p', '81:80', ...HTTPD]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /cannot publish 0\.0\.0\.0:81: ports below \d+ are privileged/);
    assert.ok(
      run.stderr.includes('sudo sysctl net.ipv4.ip_unprivileged_port_start=81'),
      run.stderr,
    );
    assert.ok(run.stderr.includes('/etc/sysctl.d/'), run.stderr);
    assert.ok(
      run.stderr.includes('sudo setcap cap_net_bind_service=ep $(which rootlesskit)'),
      run.stderr,
    );
    assert.match(run.stderr, /restart the daemon/);
    assert.doesNotMatch(run.stderr, /already allocated/);
    const create = await docker(d, [
      'create',
      '--name',
      'low2',
      '-p',
      '127.0.0.1:443:443',
      'busybox',
    ]);
    assert.notEqual(create.code, 0);
    assert.match(create.stderr, /cannot publish 127\.0\.0\.1:443/);
    assert.deepEqual(await names(d), []);
    // The same container on a high port is fine: the refusal was about the port only.
    await dockerOk(d, ['create', '--name', 'low', '-p', `${await freePort()}:80`, 'busybox']);
    await dockerOk(d, ['rm', 'low']);
  });

  it('a host port in use: Docker\'s "port is already allocated", and no forward, netns or task left', async () => {
    const busyPort = await freePort();
    const otherPort = await freePort();
    const blocker = await listen(busyPort);
    try {
      // 80 is published first, then 81 hits the busy port: 80's forward must be undone.
      const run = await docker(d, [
        'run',
        '-d',
        '--name',
        'busy',
        '-p',
        `${otherPort}:80`,
        '-p',
        `${busyPort}:81`,
        ...HTTPD,
      ]);
      assert.notEqual(run.code, 0);
      assert.ok(
        run.stderr.includes(`Bind for 0.0.0.0:${busyPort} failed: port is already allocated`),
        run.stderr,
      );
      const c = await inspect(d, 'busy');
      assert.equal(c.State.Running, false);
      assert.equal(c.State.Pid, 0);
      assert.equal(c.State.Status, 'created');
      assert.deepEqual(await names(d, 'status=running'), []);
      // The port published before the failure is closed again.
      const probe = await listen(otherPort);
      await new Promise((r) => probe.close(r));
      const netns = await readdir(join(d.runtimeDir, 'skiff', 'netns')).catch(() => []);
      assert.deepEqual(
        netns.filter((n) => !n.startsWith('anchor-')),
        [],
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    // Once the port is free the same container starts and serves on both ports.
    await dockerOk(d, ['start', 'busy']);
    const c = await inspect(d, 'busy');
    assert.equal(await eventually(() => curl(String(otherPort))), `${c.Id.slice(0, 12)}\n`);
    await dockerOk(d, ['rm', '-f', 'busy']);
  });

  it('-p 80 and -P: the ports really bound show in port, ps and inspect, and curl reaches httpd', async () => {
    const rnd = (await dockerOk(d, ['run', '-d', '--name', 'rnd', '-p', '80', ...HTTPD])).trim();
    const all = (
      await dockerOk(d, [
        'run',
        '-d',
        '--name',
        'all',
        '--expose',
        '80',
        '--expose',
        '81/udp',
        '-P',
        ...HTTPD,
      ])
    ).trim();

    const rndPorts = await ports(d, 'rnd');
    assert.deepEqual(Object.keys(rndPorts), ['80/tcp']);
    const rndPort = rndPorts['80/tcp']?.[0]?.split(':').pop() ?? '';
    assert.match(rndPort, /^\d+$/);
    assert.notEqual(rndPort, '0');

    const allPorts = await ports(d, 'all');
    assert.deepEqual(Object.keys(allPorts).sort(), ['80/tcp', '81/udp']);
    const allPort = allPorts['80/tcp']?.[0]?.split(':').pop() ?? '';
    const udpPort = allPorts['81/udp']?.[0]?.split(':').pop() ?? '';
    for (const p of [allPort, udpPort]) {
      assert.match(p, /^\d+$/);
      assert.notEqual(p, '0');
    }

    const psPorts = async (name: string): Promise<string> =>
      (await dockerOk(d, ['ps', '--filter', `name=^${name}$`, '--format', '{{.Ports}}'])).trim();
    assert.match(await psPorts('rnd'), new RegExp(`0\\.0\\.0\\.0:${rndPort}->80/tcp`));
    const allPs = await psPorts('all');
    assert.match(allPs, new RegExp(`0\\.0\\.0\\.0:${allPort}->80/tcp`));
    assert.match(allPs, new RegExp(`0\\.0\\.0\\.0:${udpPort}->81/udp`));
    assert.doesNotMatch(allPs, /:0->/);

    assert.deepEqual((await inspect(d, 'rnd')).NetworkSettings.Ports['80/tcp'], [
      { HostIp: '0.0.0.0', HostPort: rndPort },
    ]);
    const allSettings = (await inspect(d, 'all')).NetworkSettings.Ports;
    assert.deepEqual(allSettings['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: allPort }]);
    assert.deepEqual(allSettings['81/udp'], [{ HostIp: '0.0.0.0', HostPort: udpPort }]);

    assert.equal(await eventually(() => curl(rndPort)), `${rnd.slice(0, 12)}\n`);
    assert.equal(await eventually(() => curl(allPort)), `${all.slice(0, 12)}\n`);

    // publish= and expose= match the container side, as dockerd.
    assert.deepEqual((await names(d, 'publish=80')).sort(), ['all', 'rnd']);
    assert.deepEqual((await names(d, 'publish=80/tcp')).sort(), ['all', 'rnd']);
    assert.deepEqual(await names(d, 'publish=81/udp'), ['all']);
    assert.deepEqual(await names(d, 'publish=81'), []);
    assert.deepEqual(await names(d, `publish=${rndPort}`), []);
    assert.deepEqual(await names(d, 'expose=81/udp'), ['all']);
    assert.deepEqual((await names(d, 'expose=80-81/tcp')).sort(), ['all', 'rnd']);

    // Stopped, the ports are gone from port/ps/inspect and from the host.
    await dockerOk(d, ['kill', 'rnd']);
    await dockerOk(d, ['wait', 'rnd']);
    assert.equal((await dockerOk(d, ['port', 'rnd'])).trim(), '');
    assert.equal(await curl(rndPort), undefined);
    await dockerOk(d, ['rm', '-f', 'rnd', 'all']);
  });
});
