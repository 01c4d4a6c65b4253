// Issue 9 (second part): containers on bridge networks with netavark and aardvark-dns, through
// the real docker CLI and Debian's docker-compose v1. Each bridge container has its own network
// namespace (<execRoot>/netns/<id>) wired into a bridge in the rootlesskit holder's namespace.
// busybox's `wget -T` crashes when it times out, so reachability checks use `timeout 3 wget`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { ping } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { exec } from '../../helpers/exec.js';
import { freePort } from '../../helpers/registry.js';

interface Endpoint {
  NetworkID: string;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  Aliases: string[] | null;
  DNSNames: string[] | null;
}

interface Settings {
  SandboxKey: string;
  IPAddress: string;
  Gateway: string;
  Networks: Record<string, Endpoint>;
}

async function settings(d: TestDaemon, name: string): Promise<Settings> {
  const [c] = JSON.parse(await dockerOk(d, ['inspect', name])) as { NetworkSettings: Settings }[];
  assert.ok(c);
  return c.NetworkSettings;
}

/** `timeout 3 wget` from a container: the page, or undefined when the server is unreachable. */
async function fetchFrom(
  d: TestDaemon,
  container: string,
  url: string,
): Promise<string | undefined> {
  const r = await docker(d, ['exec', container, 'timeout', '3', 'wget', '-qO-', url]);
  return r.code === 0 ? r.stdout : undefined;
}

async function httpGet(port: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/hostname`, { signal: AbortSignal.timeout(5000) });
  return r.text();
}

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

describe('containers on bridge networks (netavark, aardvark-dns)', () => {
  let d: TestDaemon;
  let netnsDir: string;
  before(async () => {
    d = await daemonWithBusybox();
    netnsDir = join(d.runtimeDir, 'skiff', 'netns');
    await dockerOk(d, ['network', 'create', 'appnet']);
    // busybox httpd serves /etc: /etc/hostname is the container's short id.
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'srv',
      '--network',
      'appnet',
      '--network-alias',
      'www',
      'busybox',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/etc',
    ]);
  });
  after(async () => {
    await d.cleanup();
  });

  it('on a user network, containers reach each other by name and alias; on the default bridge names do not resolve', async () => {
    const srvId = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'srv'])).trim();
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--network',
      'appnet',
      'busybox',
      'sh',
      '-c',
      `cat /etc/resolv.conf; wget -qO- http://srv/hostname; wget -qO- http://www/hostname; nslookup ${srvId.slice(0, 12)} >/dev/null && echo short-id-resolves`,
    ]);
    const gw = (await settings(d, 'srv')).Networks['appnet']?.Gateway ?? '';
    assert.match(out, new RegExp(`nameserver ${gw.replace(/\./g, '\\.')}\\n`));
    assert.equal(out.split(`${srvId.slice(0, 12)}\n`).length, 3, out);
    assert.match(out, /short-id-resolves/);
    const plain = await docker(d, [
      'run',
      '--rm',
      'busybox',
      'sh',
      '-c',
      'cat /etc/resolv.conf; nslookup srv',
    ]);
    assert.notEqual(plain.code, 0, plain.stdout);
    assert.match(plain.stdout, /nameserver 10\.0\.2\.3/);
  });

  it('inspect shows the address, gateway, MAC, aliases and SandboxKey; network inspect the container', async () => {
    const s = await settings(d, 'srv');
    const ep = s.Networks['appnet'];
    assert.ok(ep);
    const net = JSON.parse(await dockerOk(d, ['network', 'inspect', 'appnet'])) as {
      Id: string;
      IPAM: { Config: { Subnet: string; Gateway: string }[] };
      Containers: Record<string, { Name: string; IPv4Address: string; MacAddress: string }>;
    }[];
    const n = net[0];
    assert.ok(n);
    assert.equal(ep.NetworkID, n.Id);
    assert.equal(ep.Gateway, n.IPAM.Config[0]?.Gateway);
    assert.match(ep.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(ep.IPPrefixLen, Number(n.IPAM.Config[0]?.Subnet.split('/')[1]));
    assert.match(ep.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.deepEqual(ep.Aliases, ['www']);
    assert.equal(
      s.SandboxKey,
      join(netnsDir, (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'srv'])).trim()),
    );
    assert.ok(await exists(s.SandboxKey));
    const inNet = Object.values(n.Containers);
    assert.deepEqual(
      inNet.map((c) => [c.Name, c.IPv4Address, c.MacAddress]),
      [['srv', `${ep.IPAddress}/${String(ep.IPPrefixLen)}`, ep.MacAddress]],
    );
    // The address is the container's own, in its /etc/hosts too.
    const hosts = await dockerOk(d, ['exec', 'srv', 'cat', '/etc/hosts']);
    assert.match(hosts, new RegExp(`^${ep.IPAddress.replace(/\./g, '\\.')}\\t`, 'm'));
    // The default bridge fills the legacy top-level fields.
    await dockerOk(d, ['run', '-d', '--name', 'plain', 'busybox', 'sleep', '60']);
    const p = await settings(d, 'plain');
    assert.match(p.IPAddress, /^172\.\d+\.0\.\d+$/);
    assert.equal(p.Gateway, p.Networks['bridge']?.Gateway);
    // In use: no rm; filters find the container by network name and id.
    const rm = await docker(d, ['network', 'rm', 'appnet']);
    assert.match(rm.stderr, /has active endpoints/);
    for (const f of ['network=appnet', `network=${n.Id.slice(0, 12)}`])
      assert.equal(
        (await dockerOk(d, ['ps', '--filter', f, '--format', '{{.Names}}'])).trim(),
        'srv',
      );
    const dangling = await dockerOk(d, [
      'network',
      'ls',
      '--filter',
      'dangling=true',
      '--format',
      '{{.Name}}',
    ]);
    assert.doesNotMatch(dangling, /appnet/);
    await dockerOk(d, ['rm', '-f', 'plain']);
  });

  it('an --internal network has no way out', async () => {
    await dockerOk(d, ['network', 'create', '--internal', 'closed']);
    const script = 'ip route; timeout 5 nslookup example.com 10.0.2.3 2>&1; echo done';
    const inside = await dockerOk(d, [
      'run',
      '--rm',
      '--network',
      'closed',
      'busybox',
      'sh',
      '-c',
      script,
    ]);
    assert.doesNotMatch(inside, /default via/);
    // slirp4netns's DNS forwarder answers (even NXDOMAIN) only when it can be reached.
    assert.doesNotMatch(inside, /Server:\s+10\.0\.2\.3|can't find|Address: \d/);
    const outside = await dockerOk(d, ['run', '--rm', 'busybox', 'sh', '-c', script]);
    assert.match(outside, /default via/);
    assert.match(outside, /Server:\s+10\.0\.2\.3/);
    await dockerOk(d, ['network', 'rm', 'closed']);
  });

  it('root in a container pings its gateway and the holder; a non-root busybox ping is refused, as on Rootless Docker', async () => {
    const gateway = (
      await dockerOk(d, [
        'network',
        'inspect',
        '-f',
        '{{(index .IPAM.Config 0).Gateway}}',
        'bridge',
      ])
    ).trim();
    const asRoot = await docker(d, [
      'run',
      '--rm',
      'busybox',
      'sh',
      '-c',
      `ping -c1 -W3 ${gateway} && ping -c1 -W3 10.0.2.2`,
    ]);
    assert.equal(asRoot.code, 0, asRoot.stdout + asRoot.stderr);
    assert.match(asRoot.stdout, /1 packets received[\s\S]*1 packets received/);
    const asUser = await docker(d, [
      'run',
      '--rm',
      '-u',
      '1000',
      'busybox',
      'ping',
      '-c1',
      '-W3',
      gateway,
    ]);
    assert.notEqual(asUser.code, 0);
    assert.match(asUser.stderr + asUser.stdout, /permission denied/);
  });

  it('connect and disconnect of a running container change what it reaches, with events', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await dockerOk(d, ['run', '-d', '--name', 'cli', 'busybox', 'sleep', '120']);
    const srvIp = (await settings(d, 'srv')).Networks['appnet']?.IPAddress ?? '';
    assert.equal(await fetchFrom(d, 'cli', `http://${srvIp}/hostname`), undefined);
    await dockerOk(d, ['network', 'connect', '--alias', 'client', 'appnet', 'cli']);
    const s = await settings(d, 'cli');
    assert.deepEqual(Object.keys(s.Networks).sort(), ['appnet', 'bridge']);
    assert.match(s.Networks['appnet']?.IPAddress ?? '', /^\d+\./);
    assert.match((await fetchFrom(d, 'cli', `http://${srvIp}/hostname`)) ?? '', /^[0-9a-f]{12}\n$/);
    // srv now finds it by its alias.
    const back = await dockerOk(d, ['exec', 'srv', 'nslookup', 'client']);
    assert.match(
      back,
      new RegExp(`Address: ${(s.Networks['appnet']?.IPAddress ?? '').replace(/\./g, '\\.')}`),
    );
    await dockerOk(d, ['network', 'disconnect', 'appnet', 'cli']);
    assert.deepEqual(Object.keys((await settings(d, 'cli')).Networks), ['bridge']);
    assert.equal(await fetchFrom(d, 'cli', `http://${srvIp}/hostname`), undefined);
    const ifaces = await dockerOk(d, ['exec', 'cli', 'ls', '/sys/class/net']);
    assert.deepEqual(ifaces.trim().split(/\s+/).sort(), ['eth0', 'lo']);
    const events = await dockerOk(d, [
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      'type=network',
      '--filter',
      'network=appnet',
      '--format',
      '{{.Action}} {{.Actor.Attributes.container}}',
    ]);
    const cliId = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'cli'])).trim();
    assert.match(events, new RegExp(`connect ${cliId}\\n(.*\\n)*disconnect ${cliId}`));
    await dockerOk(d, ['rm', '-f', 'cli']);
  });

  it('-p publishes a bridge container on the host; stop closes it', async () => {
    const id = (
      await dockerOk(d, [
        'run',
        '-d',
        '--name',
        'pub',
        '-p',
        '127.0.0.1::80',
        'busybox',
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/etc',
      ])
    ).trim();
    const port = (await dockerOk(d, ['port', 'pub', '80'])).trim().split(':').pop() ?? '';
    assert.match(port, /^\d+$/);
    assert.equal(
      await eventually(async () => httpGet(port).catch(() => undefined)),
      `${id.slice(0, 12)}\n`,
    );
    await dockerOk(d, ['kill', 'pub']);
    await assert.rejects(httpGet(port));
    await dockerOk(d, ['rm', 'pub']);
  });

  it('a container keeps its network, DNS name and published port across a skiffd kill -9', async () => {
    const id = (
      await dockerOk(d, [
        'run',
        '-d',
        '--name',
        'keep',
        '--network',
        'appnet',
        '-p',
        '127.0.0.1::80',
        'busybox',
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/etc',
      ])
    ).trim();
    const before = await settings(d, 'keep');
    const port = (await dockerOk(d, ['port', 'keep', '80'])).trim().split(':').pop() ?? '';
    await eventually(async () => httpGet(port).catch(() => undefined));
    const skiffd = await d.skiffdPid();
    process.kill(skiffd, 'SIGKILL');
    await eventually(
      async () => ((await d.skiffdPid()) !== skiffd && (await ping(d.socket)) ? true : undefined),
      30_000,
      'a new skiffd',
    );
    const after = await settings(d, 'keep');
    assert.equal(after.Networks['appnet']?.IPAddress, before.Networks['appnet']?.IPAddress);
    assert.equal(after.SandboxKey, before.SandboxKey);
    assert.equal(await httpGet(port), `${id.slice(0, 12)}\n`);
    assert.equal(
      await dockerOk(d, [
        'run',
        '--rm',
        '--network',
        'appnet',
        'busybox',
        'wget',
        '-qO-',
        'http://keep/hostname',
      ]),
      `${id.slice(0, 12)}\n`,
    );
    // A new container does not get the adopted one's address.
    const fresh = await dockerOk(d, [
      'run',
      '--rm',
      '--network',
      'appnet',
      'busybox',
      'sh',
      '-c',
      "ip -4 -o addr show eth0 | awk '{print $4}'",
    ]);
    assert.notEqual(fresh.trim().split('/')[0], after.Networks['appnet']?.IPAddress);
    await dockerOk(d, ['rm', '-f', 'keep']);
    await assert.rejects(httpGet(port));
    // The teardown runs after the exit is recorded.
    await eventually(
      async () => ((await exists(after.SandboxKey)) ? undefined : true),
      20_000,
      'the namespace to go',
    );
  });

  it('a docker-compose v1 project: services talk by name, a published port, up -d, ps, down -v leaves nothing', async () => {
    const dir = join(d.dir, 'compose');
    await exec('mkdir', ['-p', dir]);
    const hostPort = await freePort();
    await writeFile(
      join(dir, 'docker-compose.yml'),
      [
        'version: "2.4"',
        'services:',
        '  web:',
        '    image: busybox',
        '    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]',
        `    ports: ["127.0.0.1:${String(hostPort)}:80"]`,
        '  client:',
        '    image: busybox',
        '    command: ["sleep", "300"]',
        '    volumes: ["data:/data"]',
        'volumes:',
        '  data: {}',
        '',
      ].join('\n'),
    );
    const compose = (args: string[]) =>
      exec('/usr/bin/docker-compose', ['-p', 'skiffapp', ...args], {
        cwd: dir,
        env: { ...d.env, COMPOSE_INTERACTIVE_NO_CLI: '1' },
        timeoutMs: 120_000,
      });
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    const ps = await compose(['ps']);
    assert.match(ps.stdout, /skiffapp_web_1 .* Up .*127\.0\.0\.1:\d+->80\/tcp/);
    assert.match(ps.stdout, /skiffapp_client_1 .* Up/);
    const webId = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'skiffapp_web_1'])).trim();
    const viaName = await compose(['exec', '-T', 'client', 'wget', '-qO-', 'http://web/hostname']);
    assert.equal(viaName.stdout, `${webId.slice(0, 12)}\n`, viaName.stderr);
    assert.equal(
      await eventually(async () => httpGet(String(hostPort)).catch(() => undefined)),
      `${webId.slice(0, 12)}\n`,
    );
    const down = await compose(['down', '-v', '-t', '1']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await dockerOk(d, ['ps', '-aq', '--filter', 'name=skiffapp'])).trim(), '');
    assert.doesNotMatch(await dockerOk(d, ['network', 'ls', '--format', '{{.Name}}']), /skiffapp/);
    assert.doesNotMatch(await dockerOk(d, ['volume', 'ls', '--format', '{{.Name}}']), /skiffapp/);
    await assert.rejects(httpGet(String(hostPort)));
  });

  it('after every bridge container is gone, no network namespace is left', async () => {
    await dockerOk(d, ['rm', '-f', 'srv']);
    await eventually(
      async () => {
        // The default bridge's own anchor endpoint stays, as docker0 does.
        const left = (await readdir(netnsDir).catch(() => [])).filter(
          (n) => !n.startsWith('anchor-'),
        );
        return left.length === 0 ? true : undefined;
      },
      20_000,
      'an empty netns directory',
    );
  });
});
