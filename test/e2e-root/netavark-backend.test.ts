// Issue 9: the netavark config builder and backend against Debian's real netavark 1.4. Root
// makes two throwaway network namespaces (a stand-in for the rootlesskit holder, and a
// container's); the backend runs netavark in the first through nsenter, exactly as skiffd will
// in the holder, and wires the second into a bridge network. The host's namespace is never used.
// scripts/run-tests.mjs runs this directory as root, before the unprivileged e2e suites.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, execOk } from '../helpers/exec.js';
import { NetavarkBackend } from '../../src/network/netavark/netavark-backend.js';
import type { AttachRequest, BridgeNetworkSpec } from '../../src/network/network-backend.js';
import { nextFreeAddress } from '../../src/network/ip-allocator.js';

const NETAVARK = '/usr/lib/podman/netavark';
const usable = process.getuid?.() === 0 && (await exec('test', ['-x', NETAVARK])).code === 0;

/** A process alone in a new network namespace, kept alive until killed. */
function netnsHolder(): ChildProcess {
  return spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
}

async function inNetns(pid: number, args: string[]): Promise<string> {
  return execOk('nsenter', ['-t', String(pid), '-n', '--', ...args]);
}

describe(
  'netavark backend (real netavark, throwaway namespaces)',
  { skip: !usable && 'needs root and /usr/lib/podman/netavark' },
  () => {
    let holder: ChildProcess;
    let container: ChildProcess;
    let dir: string;
    const id = '5e'.repeat(32);
    const subnet = { subnet: '172.29.0.0/16', gateway: '172.29.0.1', ipRange: '172.29.4.0/24' };
    const network: BridgeNetworkSpec = {
      id,
      name: 'skiffnet_test',
      bridgeName: `br-${id.slice(0, 12)}`,
      subnets: [subnet],
      internal: false,
      dnsEnabled: false,
      isolate: true,
      mtu: 1400,
    };
    let req: AttachRequest;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'skiff-netavark-'));
      holder = netnsHolder();
      container = netnsHolder();
      // Wait until unshare has exec'd sleep: then /proc/<pid>/ns/net is the new namespace.
      for (const p of [holder, container]) {
        const self = await execOk('readlink', ['/proc/self/ns/net']);
        for (let i = 0; i < 100; i++) {
          const ns = await exec('readlink', [`/proc/${p.pid ?? 0}/ns/net`]);
          const comm = await exec('cat', [`/proc/${p.pid ?? 0}/comm`]);
          if (ns.stdout !== self && comm.stdout.trim() === 'sleep') break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      // skiff's IPAM picks the address (netavark's host-local IPAM does not): the range's first.
      const address = nextFreeAddress(subnet, []);
      assert.ok(address);
      assert.equal(address, '172.29.4.0');
      req = {
        containerId: 'c'.repeat(64),
        containerName: 'web',
        netnsPath: `/proc/${container.pid ?? 0}/ns/net`,
        endpoints: [{ network, interfaceName: 'eth0', addresses: [address], aliases: [] }],
      };
    });

    after(async () => {
      holder.kill('SIGKILL');
      container.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });

    it('setup creates the bridge in the holder and the interface in the container; teardown removes both', async () => {
      const backend = new NetavarkBackend({
        netavark: NETAVARK,
        configDir: dir,
        rootless: false,
        enter: { nsenter: '/usr/bin/nsenter', pid: holder.pid ?? 0 },
      });
      const res = await backend.setup(req);
      const eth0 = res.networks['skiffnet_test']?.['eth0'];
      assert.deepEqual(eth0?.addresses, [{ cidr: '172.29.4.0/16', gateway: '172.29.0.1' }]);
      assert.match(eth0?.macAddress ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

      const bridge = await inNetns(holder.pid ?? 0, [
        'ip',
        '-o',
        'addr',
        'show',
        network.bridgeName,
      ]);
      assert.match(bridge, /inet 172\.29\.0\.1\/16/);
      assert.match(
        await inNetns(holder.pid ?? 0, ['ip', '-o', 'link', 'show', network.bridgeName]),
        /mtu 1400/,
      );
      assert.match(
        await inNetns(container.pid ?? 0, ['ip', '-o', 'addr', 'show', 'eth0']),
        /inet 172\.29\.4\.0\/16/,
      );
      assert.match(
        await inNetns(container.pid ?? 0, ['ip', 'route']),
        /^default via 172\.29\.0\.1 dev eth0/m,
      );
      // Nothing leaked into the namespace the tests run in.
      assert.notEqual((await exec('ip', ['link', 'show', network.bridgeName])).code, 0);

      await backend.teardown(req);
      assert.notEqual(
        (
          await exec('nsenter', [
            '-t',
            String(holder.pid ?? 0),
            '-n',
            '--',
            'ip',
            'link',
            'show',
            network.bridgeName,
          ])
        ).code,
        0,
        'the last teardown removes the bridge',
      );
    });

    it("reports netavark's own error message", async () => {
      const backend = new NetavarkBackend({
        netavark: NETAVARK,
        configDir: dir,
        rootless: false,
        enter: { nsenter: '/usr/bin/nsenter', pid: holder.pid ?? 0 },
      });
      await assert.rejects(backend.setup({ ...req, netnsPath: join(dir, 'no-such-netns') }), {
        kind: 'internal',
        message: /^netavark: invalid namespace path/,
      });
    });
  },
);
