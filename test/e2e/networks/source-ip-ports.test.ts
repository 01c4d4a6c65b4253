// Issue 9 item 6: published ports that keep the client's source address. With rootlesskit's
// slirp4netns port driver (SKIFF_ROOTLESSKIT_PORT_DRIVER=slirp4netns) a container on a bridge
// sees the real client address: slirp4netns delivers to the holder's address, and skiff's DNAT
// rule in the holder sends it on. With the default builtin driver (faster: see docs) it sees its
// bridge's gateway, as on Rootless Docker. The container here is busybox httpd with a CGI script
// that prints REMOTE_ADDR.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { exec, execOk, type ExecResult } from '../../helpers/exec.js';
import { freePort } from '../../helpers/registry.js';

/** httpd on port 80 with /cgi-bin/ip answering the client's address. */
const WHO_AM_I = [
  'sh',
  '-c',
  [
    'mkdir -p /w/cgi-bin',
    `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /w/cgi-bin/ip`,
    'chmod +x /w/cgi-bin/ip',
    'exec httpd -f -p 80 -h /w',
  ].join(' && '),
];

/** `docker run -d --name <name> -p <publish> [extra] busybox <WHO_AM_I>`; the CLI's result. */
function tryWhoAmI(
  d: TestDaemon,
  name: string,
  publish: string,
  extra: readonly string[] = [],
): Promise<ExecResult> {
  return docker(d, ['run', '-d', '--name', name, '-p', publish, ...extra, 'busybox', ...WHO_AM_I]);
}

/** The same, which must succeed. */
function runWhoAmI(
  d: TestDaemon,
  name: string,
  publish: string,
  extra: readonly string[] = [],
): Promise<string> {
  return dockerOk(d, [
    'run',
    '-d',
    '--name',
    name,
    '-p',
    publish,
    ...extra,
    'busybox',
    ...WHO_AM_I,
  ]);
}

/** The host's first non-loopback IPv4 address: a client the container can tell apart. */
function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

/** The address the container saw for a request from the host to addr:port. */
async function seenFrom(addr: string, port: number): Promise<string> {
  return eventually(
    async () => {
      const r = await exec('/usr/bin/curl', [
        '-sf',
        '-m',
        '3',
        `http://${addr}:${port}/cgi-bin/ip`,
      ]);
      // busybox httpd prints an IPv4 client as an IPv4-mapped IPv6 address in brackets.
      return r.code === 0 ? r.stdout.trim().replace(/^\[(::ffff:)?|\]$/g, '') : undefined;
    },
    20_000,
    `an answer on ${addr}:${port}`,
  );
}

/** One datagram to addr:port from the host; the echo server's answer, or undefined. */
async function udpEcho(addr: string, port: number, payload: string): Promise<string | undefined> {
  const sock = createSocket('udp4');
  try {
    return await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => {
        resolve(undefined);
      }, 2000);
      sock.on('message', (m) => {
        clearTimeout(timer);
        resolve(m.toString());
      });
      sock.send(payload, port, addr);
    });
  } finally {
    sock.close();
  }
}

/** The UDP echo server (test/fixtures/udp-echo.c), built static and copied into a container. */
async function startUdpEcho(d: TestDaemon, name: string, port: number): Promise<void> {
  const bin = join(d.dir, 'udp-echo');
  await execOk('gcc', [
    '-static',
    '-O2',
    '-o',
    bin,
    join(import.meta.dirname, '../../fixtures/udp-echo.c'),
  ]);
  await dockerOk(d, ['create', '--name', name, '-p', `${port}:53/udp`, 'busybox', '/udp-echo']);
  await dockerOk(d, ['cp', bin, `${name}:/udp-echo`]);
  await dockerOk(d, ['start', name]);
}

const external = hostAddress();

describe(
  'published ports and the client address',
  { skip: !external && 'no non-loopback IPv4 address on this host' },
  () => {
    describe('slirp4netns port driver: the source address is kept', () => {
      let d: TestDaemon;
      before(async () => {
        d = await daemonWithBusybox({ env: { SKIFF_ROOTLESSKIT_PORT_DRIVER: 'slirp4netns' } });
      });
      after(async () => {
        await d.cleanup();
      });

      it('a container on the default bridge sees the real client address, on a user network too', async () => {
        const port = await freePort();
        await runWhoAmI(d, 'who', `${port}:80`);
        assert.equal(await seenFrom(external ?? '', port), external);
        // The host's loopback reaches the holder as slirp4netns's host address.
        assert.equal(await seenFrom('127.0.0.1', port), '10.0.2.2');

        await dockerOk(d, ['network', 'create', 'srcnet']);
        const port2 = await freePort();
        await runWhoAmI(d, 'who2', `${port2}:80`, ['--network', 'srcnet']);
        assert.equal(await seenFrom(external ?? '', port2), external);
      });

      it('the forward goes with the container: its port then reaches the next one', async () => {
        const port = await freePort();
        await runWhoAmI(d, 'first', `${port}:80`);
        assert.equal(await seenFrom(external ?? '', port), external);
        await dockerOk(d, ['rm', '-f', 'first']);
        await runWhoAmI(d, 'second', `${port}:80`);
        const ip = (
          await dockerOk(d, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'second'])
        ).trim();
        assert.notEqual(ip, '');
        assert.equal(await seenFrom(external ?? '', port), external);
      });

      it('UDP through -p is echoed, with the client address kept', async () => {
        const port = await freePort();
        await startUdpEcho(d, 'echo', port);
        const answer = await eventually(
          () => udpEcho(external ?? '', port, 'hello'),
          20_000,
          'a UDP echo',
        );
        assert.equal(answer, `hello from ${external ?? ''}`);
      });

      it('one port number on two host addresses is refused with a clear message', async () => {
        const port = await freePort();
        await runWhoAmI(d, 'lo', `127.0.0.1:${port}:80`);
        const r = await tryWhoAmI(d, 'ext', `${external ?? ''}:${port}:80`);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /port is already allocated \(with the slirp4netns port driver/);
        assert.equal(await seenFrom('127.0.0.1', port), '10.0.2.2');
      });
    });

    describe('builtin port driver (the default): the gateway is the source, as on Rootless Docker', () => {
      let d: TestDaemon;
      before(async () => {
        d = await daemonWithBusybox();
      });
      after(async () => {
        await d.cleanup();
      });

      it("a UDP echo through -p, from the host's loopback and its own address", async () => {
        const port = await freePort();
        await startUdpEcho(d, 'echo', port);
        const gateway = (
          await dockerOk(d, ['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'echo'])
        ).trim();
        for (const addr of ['127.0.0.1', external ?? ''])
          assert.equal(
            await eventually(() => udpEcho(addr, port, `to ${addr}`), 20_000, 'a UDP echo'),
            `to ${addr} from ${gateway}`,
          );
      });

      it('-p [::1]:port answers on the IPv6 loopback, and shows so in port and ps', async () => {
        const port = await freePort();
        await dockerOk(d, [
          'run',
          '-d',
          '--name',
          'v6',
          '-p',
          `[::1]:${port}:80`,
          'busybox',
          'httpd',
          '-f',
          '-p',
          '80',
          '-h',
          '/etc',
        ]);
        const id = (await dockerOk(d, ['inspect', '-f', '{{.Config.Hostname}}', 'v6'])).trim();
        const page = await eventually(
          async () => {
            const r = await exec('/usr/bin/curl', [
              '-sfg',
              '-m',
              '3',
              `http://[::1]:${port}/hostname`,
            ]);
            return r.code === 0 ? r.stdout.trim() : undefined;
          },
          20_000,
          'httpd on [::1]',
        );
        assert.equal(page, id);
        assert.equal((await dockerOk(d, ['port', 'v6'])).trim(), `80/tcp -> [::1]:${port}`);
        assert.match(
          await dockerOk(d, ['ps', '--filter', 'name=v6', '--format', '{{.Ports}}']),
          new RegExp(`\\[::1\\]:${port}->80/tcp`),
        );
        const v4 = await exec('/usr/bin/curl', [
          '-sf',
          '-m',
          '3',
          `http://127.0.0.1:${port}/hostname`,
        ]);
        assert.notEqual(v4.code, 0);
      });

      it('the container sees its bridge gateway', async () => {
        const port = await freePort();
        await runWhoAmI(d, 'who', `${port}:80`);
        const gateway = (
          await dockerOk(d, ['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'who'])
        ).trim();
        assert.equal(await seenFrom(external ?? '', port), gateway);
      });
    });
  },
);
