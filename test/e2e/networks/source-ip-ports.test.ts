// Issue 9 item 6: published ports that keep the client's source address. With rootlesskit's
// slirp4netns port driver (SKIFF_ROOTLESSKIT_PORT_DRIVER=slirp4netns) a container on a bridge
// sees the real client address: slirp4netns delivers to the holder's address, and skiff's DNAT
// rule in the holder sends it on. With the default builtin driver (faster: see docs) it sees its
// bridge's gateway, as on Rootless Docker. The container here is busybox httpd with a CGI script
// that prints REMOTE_ADDR.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { exec } from '../../helpers/exec.js';
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
        await dockerOk(d, [
          'run',
          '-d',
          '--name',
          'who',
          '-p',
          `${port}:80`,
          'busybox',
          ...WHO_AM_I,
        ]);
        assert.equal(await seenFrom(external ?? '', port), external);
        // The host's loopback reaches the holder as slirp4netns's host address.
        assert.equal(await seenFrom('127.0.0.1', port), '10.0.2.2');

        await dockerOk(d, ['network', 'create', 'srcnet']);
        const port2 = await freePort();
        await dockerOk(d, [
          'run',
          '-d',
          '--name',
          'who2',
          '--network',
          'srcnet',
          '-p',
          `${port2}:80`,
          'busybox',
          ...WHO_AM_I,
        ]);
        assert.equal(await seenFrom(external ?? '', port2), external);
      });

      it('the forward goes with the container: its port then reaches the next one', async () => {
        const port = await freePort();
        await dockerOk(d, [
          'run',
          '-d',
          '--name',
          'first',
          '-p',
          `${port}:80`,
          'busybox',
          ...WHO_AM_I,
        ]);
        assert.equal(await seenFrom(external ?? '', port), external);
        await dockerOk(d, ['rm', '-f', 'first']);
        await dockerOk(d, [
          'run',
          '-d',
          '--name',
          'second',
          '-p',
          `${port}:80`,
          'busybox',
          ...WHO_AM_I,
        ]);
        const ip = (
          await dockerOk(d, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'second'])
        ).trim();
        assert.notEqual(ip, '');
        assert.equal(await seenFrom(external ?? '', port), external);
      });

      it('one port number on two host addresses is refused with a clear message', async () => {
        const port = await freePort();
        await dockerOk(d, [
          'run',
          '-d',
          '--name',
          'lo',
          '-p',
          `127.0.0.1:${port}:80`,
          'busybox',
          ...WHO_AM_I,
        ]);
        const r = await docker(d, [
          'run',
          '-d',
          '--name',
          'ext',
          '-p',
          `${external ?? ''}:${port}:80`,
          'busybox',
          ...WHO_AM_I,
        ]);
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

      it('the container sees its bridge gateway', async () => {
        const port = await freePort();
        await dockerOk(d, [
          'run',
          '-d',
          '--name',
          'who',
          '-p',
          `${port}:80`,
          'busybox',
          ...WHO_AM_I,
        ]);
        const gateway = (
          await dockerOk(d, ['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'who'])
        ).trim();
        assert.equal(await seenFrom(external ?? '', port), gateway);
      });
    });
  },
);
