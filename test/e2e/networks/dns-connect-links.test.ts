// Three networking gaps to dockerd, through the real docker CLI: a container's --dns servers
// are its network DNS server's upstreams (aardvark-dns forwards there, as Docker's 127.0.0.11
// does); `docker network connect`/`disconnect` of a running container rewrites its /etc/hosts
// and resolv.conf; legacy links follow `docker rename` and a linked container's new address.
//
// The upstream is a tiny DNS responder in a container on the same network: aardvark runs in the
// rootless network namespace, where the bridge reaches containers but not the host's loopback
// (and the test user may not bind port 53 on the host). busybox has no DNS server, so the
// responder is this host's node, run in the busybox container through its own dynamic loader
// with the libraries `ldd` lists bind-mounted beside it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';

/** What the responder answers for NAME's A record; no resolver on the internet knows NAME. */
const ANSWER = '203.0.113.77';
const NAME = 'only-the-upstream.skiff-test';

/**
 * The responder (CommonJS, run by the host's node): NAME's A record is ANSWER, its other types
 * an empty NOERROR, any other name NXDOMAIN (so a search domain tried first fails). Each
 * question's name goes to stdout, for `docker logs`.
 */
const RESPONDER = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (q, from) => {
  let i = 12;
  const labels = [];
  while (i < q.length && q[i] !== 0) { labels.push(q.subarray(i + 1, i + 1 + q[i]).toString()); i += q[i] + 1; }
  const end = i + 5;
  const name = labels.join('.').toLowerCase();
  const qtype = q.readUInt16BE(end - 4);
  console.log('asked ' + name);
  const known = name === ${JSON.stringify(NAME)};
  const h = Buffer.alloc(12);
  q.copy(h, 0, 0, 2);
  h.writeUInt16BE(0x8180 | (q.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2);
  h.writeUInt16BE(1, 4);
  const a = known && qtype === 1;
  h.writeUInt16BE(a ? 1 : 0, 6);
  const parts = [h, q.subarray(12, end)];
  if (a) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); rr.writeUInt16BE(1, 2); rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6); rr.writeUInt16BE(4, 10);
    ${JSON.stringify(ANSWER)}.split('.').forEach((o, k) => rr.writeUInt8(Number(o), 12 + k));
    parts.push(rr);
  }
  s.send(Buffer.concat(parts), from.port, from.address);
});
s.bind(53, '0.0.0.0', () => console.log('listening'));
`;

/** `docker run` arguments that run `script` with this host's node in any image. */
async function hostNode(dir: string, script: string): Promise<string[]> {
  const node = realpathSync(process.execPath);
  const mounts = [`${node}:/hn/node:ro`];
  let loader = '';
  for (const line of execFileSync('ldd', [node], { encoding: 'utf8' }).split('\n')) {
    const lib = /^\s*(\S+) => (\/\S+)/.exec(line);
    if (lib?.[1] && lib[2]) mounts.push(`${realpathSync(lib[2])}:/hn/${lib[1]}:ro`);
    const ld = /^\s*(\/\S+ld-linux\S*)/.exec(line);
    if (ld?.[1]) loader = realpathSync(ld[1]);
  }
  assert.ok(loader, 'ldd named no dynamic loader');
  await writeFile(join(dir, 'responder.cjs'), script);
  mounts.push(`${loader}:/hn/${basename(loader)}:ro`, `${join(dir, 'responder.cjs')}:/hn/r.cjs:ro`);
  return [
    ...mounts.flatMap((m) => ['-v', m]),
    'busybox',
    `/hn/${basename(loader)}`,
    '--library-path',
    '/hn',
    '/hn/node',
    '/hn/r.cjs',
  ];
}

async function inspectField(d: TestDaemon, name: string, template: string): Promise<string> {
  return (await dockerOk(d, ['inspect', '-f', template, name])).trim();
}

const netIp = (d: TestDaemon, name: string, net: string): Promise<string> =>
  inspectField(d, name, `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`);

const netGateway = (d: TestDaemon, name: string, net: string): Promise<string> =>
  inspectField(d, name, `{{(index .NetworkSettings.Networks "${net}").Gateway}}`);

describe('--dns on user networks, network connect/disconnect, links after rename and restart', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it("--dns servers are aardvark's upstreams; resolv.conf has dockerd's layout", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-dns-'));
    try {
      await dockerOk(d, ['network', 'create', 'dnsnet']);
      await dockerOk(d, [
        'run',
        '-d',
        '--name',
        'upstream',
        '--network',
        'dnsnet',
        ...(await hostNode(dir, RESPONDER)),
      ]);
      await eventually(
        async () =>
          (await dockerOk(d, ['logs', 'upstream'])).includes('listening') ? true : undefined,
        20_000,
        'the DNS responder listening',
      );
      const address = await netIp(d, 'upstream', 'dnsnet');
      const out = await dockerOk(d, [
        'run',
        '--rm',
        '--name',
        'asker',
        '--network',
        'dnsnet',
        '--dns',
        address,
        '--dns-search',
        'example.com',
        '--dns-option',
        'ndots:2',
        'busybox',
        'sh',
        '-c',
        `cat /etc/resolv.conf; nslookup ${NAME}; ping -c1 -W3 upstream`,
      ]);
      const gw = await netGateway(d, 'upstream', 'dnsnet');
      const lines = out.slice(0, out.indexOf('Server:')).split('\n');
      // The network's DNS server only (dockerd: 127.0.0.11), search and options as given.
      assert.deepEqual(
        lines.filter((l) => l.startsWith('nameserver')),
        [`nameserver ${gw}`],
        out,
      );
      assert.ok(lines.includes('search example.com'), out);
      assert.ok(lines.includes('options ndots:2'), out);
      assert.ok(lines.includes(`# ExtServers: [${address}]`), out);
      // The external name came through aardvark from the --dns server...
      assert.match(out, new RegExp(`Address:\\s+${ANSWER.replace(/\./g, '\\.')}`), out);
      const asked = await dockerOk(d, ['logs', 'upstream']);
      assert.match(asked, new RegExp(`^asked ${NAME.replace(/\./g, '\\.')}$`, 'm'), asked);
      // ...and container names are still aardvark's own (busybox's nslookup would not try the
      // bare name after the search domain; the libc resolver does).
      assert.match(out, new RegExp(`PING upstream \\(${address.replace(/\./g, '\\.')}\\)`), out);
      assert.doesNotMatch(asked, /^asked upstream$/m, asked);
      // Without --dns on the same network: not that server (aardvark's own upstreams).
      const plain = await docker(d, [
        'run',
        '--rm',
        '--network',
        'dnsnet',
        'busybox',
        'nslookup',
        NAME,
      ]);
      assert.doesNotMatch(plain.stdout, new RegExp(ANSWER.replace(/\./g, '\\.')), plain.stdout);
    } finally {
      await docker(d, ['rm', '-f', 'upstream']);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('connect rewrites /etc/hosts and resolv.conf of a running container; disconnect undoes it', async () => {
    await dockerOk(d, ['network', 'create', 'joinnet']);
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'peer',
      '--network',
      'joinnet',
      'busybox',
      'sleep',
      '600',
    ]);
    await dockerOk(d, ['run', '-d', '--name', 'roamer', 'busybox', 'sleep', '600']);
    const hostname = (await dockerOk(d, ['exec', 'roamer', 'hostname'])).trim();
    const bridgeIp = await netIp(d, 'roamer', 'bridge');
    const before = await dockerOk(d, ['exec', 'roamer', 'cat', '/etc/resolv.conf', '/etc/hosts']);
    assert.match(before, /^nameserver 10\.0\.2\.3$/m);
    assert.ok(before.split('\n').includes(`${bridgeIp}\t${hostname}`), before);

    await dockerOk(d, ['network', 'connect', 'joinnet', 'roamer']);
    const joinedIp = await netIp(d, 'roamer', 'joinnet');
    const gw = await netGateway(d, 'roamer', 'joinnet');
    const joined = await dockerOk(d, ['exec', 'roamer', 'cat', '/etc/resolv.conf', '/etc/hosts']);
    assert.match(joined, new RegExp(`^nameserver ${gw.replace(/\./g, '\\.')}$`, 'm'));
    assert.doesNotMatch(joined, /nameserver 10\.0\.2\.3/);
    assert.match(joined, /^options ndots:0$/m);
    const lines = joined.split('\n');
    assert.ok(lines.includes(`${bridgeIp}\t${hostname}`), joined);
    assert.ok(lines.includes(`${joinedIp}\t${hostname}`), joined);
    const peerIp = await netIp(d, 'peer', 'joinnet');
    const looked = await dockerOk(d, ['exec', 'roamer', 'nslookup', 'peer']);
    assert.match(looked, new RegExp(`Address:\\s+${peerIp.replace(/\./g, '\\.')}`), looked);
    await dockerOk(d, ['exec', 'roamer', 'ping', '-c1', '-W3', 'peer']);

    await dockerOk(d, ['network', 'disconnect', 'joinnet', 'roamer']);
    const left = await dockerOk(d, ['exec', 'roamer', 'cat', '/etc/resolv.conf', '/etc/hosts']);
    assert.match(left, /^nameserver 10\.0\.2\.3$/m);
    assert.ok(left.split('\n').includes(`${bridgeIp}\t${hostname}`), left);
    assert.ok(!left.split('\n').includes(`${joinedIp}\t${hostname}`), left);
    const gone = await docker(d, ['exec', 'roamer', 'nslookup', 'peer']);
    assert.notEqual(gone.code, 0, gone.stdout);
    await docker(d, ['rm', '-f', 'peer', 'roamer']);
  });

  it('a link survives the rename of its target and follows its new address', async () => {
    await dockerOk(d, ['run', '-d', '--name', 'db', 'busybox', 'sleep', '600']);
    const dbId = (await inspectField(d, 'db', '{{.Id}}')).slice(0, 12);
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'web',
      '--link',
      'db:dbalias',
      'busybox',
      'sleep',
      '600',
    ]);
    const oldIp = await netIp(d, 'db', 'bridge');
    await dockerOk(d, ['rename', 'db', 'db2']);
    assert.equal(
      await inspectField(d, 'web', '{{json .HostConfig.Links}}'),
      '["/db2:/web/dbalias"]',
    );
    // A new container may take the old name; the link stays with the renamed one.
    await dockerOk(d, ['create', '--name', 'db', 'busybox', 'true']);

    // Stopped, its address taken by another container: db2 comes back on a new one.
    await dockerOk(d, ['stop', '-t', '0', 'db2']);
    await eventually(
      async () => {
        await docker(d, ['rm', '-f', 'filler']);
        await dockerOk(d, ['run', '-d', '--name', 'filler', 'busybox', 'sleep', '600']);
        return (await netIp(d, 'filler', 'bridge')) === oldIp ? true : undefined;
      },
      20_000,
      "another container on db2's old address",
    );
    await dockerOk(d, ['start', 'db2']);
    const newIp = await netIp(d, 'db2', 'bridge');
    assert.notEqual(newIp, oldIp);
    const hosts = await dockerOk(d, ['exec', 'web', 'cat', '/etc/hosts']);
    // dockerd changes the address only; the names stay until web starts again.
    assert.ok(hosts.split('\n').includes(`${newIp}\tdbalias ${dbId} db`), hosts);
    await dockerOk(d, ['exec', 'web', 'ping', '-c1', '-W3', 'dbalias']);

    await dockerOk(d, ['restart', '-t', '0', 'web']);
    const again = await dockerOk(d, ['exec', 'web', 'sh', '-c', 'cat /etc/hosts; env']);
    assert.ok(again.split('\n').includes(`${newIp}\tdbalias ${dbId} db2`), again);
    assert.ok(again.split('\n').includes('DBALIAS_NAME=/web/dbalias'), again);
    await docker(d, ['rm', '-f', 'db', 'db2', 'web', 'filler']);
  });
});
