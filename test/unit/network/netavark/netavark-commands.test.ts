import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AttachRequest } from '../../../../src/network/network-backend.js';
import {
  netavarkError,
  netavarkSetup,
  netavarkTeardown,
  parseSetupOutput,
} from '../../../../src/network/netavark/netavark-commands.js';
import { netavarkInvocation } from '../../../../src/network/netavark/netavark-backend.js';

const req: AttachRequest = {
  containerId: 'c'.repeat(64),
  containerName: 'web',
  netnsPath: '/proc/42/ns/net',
  endpoints: [],
};

describe('netavark commands', () => {
  it('builds setup and teardown argv with the document on stdin', () => {
    const s = { configDir: '/run/user/1000/skiff/networks', rootless: true, aardvarkDns: '/a/dns' };
    const setup = netavarkSetup(s, req);
    assert.deepEqual(setup.argv, [
      '--config',
      '/run/user/1000/skiff/networks',
      '--rootless',
      'true',
      '--aardvark-binary',
      '/a/dns',
      'setup',
      '/proc/42/ns/net',
    ]);
    assert.equal(
      (JSON.parse(String(setup.input)) as { container_name: string }).container_name,
      'web',
    );
    const down = netavarkTeardown({ configDir: '/d', rootless: false }, req);
    assert.deepEqual(down.argv, [
      '--config',
      '/d',
      '--rootless',
      'false',
      'teardown',
      '/proc/42/ns/net',
    ]);
    assert.equal(down.input, setup.input);
  });

  it("runs netavark in the holder's network namespace through nsenter when asked", () => {
    assert.deepEqual(
      netavarkInvocation({ netavark: '/usr/lib/podman/netavark' }, ['setup', '/n']),
      {
        bin: '/usr/lib/podman/netavark',
        argv: ['setup', '/n'],
      },
    );
    assert.deepEqual(
      netavarkInvocation(
        { netavark: '/usr/lib/podman/netavark', enter: { nsenter: '/usr/bin/nsenter', pid: 77 } },
        ['setup', '/n'],
      ),
      {
        bin: '/usr/bin/nsenter',
        argv: ['-t', '77', '-n', '--', '/usr/lib/podman/netavark', 'setup', '/n'],
      },
    );
  });

  it("parses netavark 1.4's setup answer", () => {
    // What netavark 1.4.0 printed for a setup in a throwaway namespace.
    const out =
      '{"testnet":{"dns_search_domains":[],"dns_server_ips":[],"interfaces":{"eth0":{"mac_address":"2e:58:46:32:ee:16","subnets":[{"gateway":"172.18.0.1","ipnet":"172.18.5.2/16"}]}}}}';
    assert.deepEqual(parseSetupOutput(out), {
      networks: {
        testnet: {
          eth0: {
            macAddress: '2e:58:46:32:ee:16',
            addresses: [{ cidr: '172.18.5.2/16', gateway: '172.18.0.1' }],
          },
        },
      },
      dnsServers: [],
      dnsSearch: [],
    });
    const dns = parseSetupOutput(
      '{"a":{"dns_server_ips":["10.89.0.1"],"dns_search_domains":["dns.podman"],"interfaces":{}},"b":{"dns_server_ips":["10.89.0.1","10.89.1.1"]}}',
    );
    assert.deepEqual(dns.dnsServers, ['10.89.0.1', '10.89.1.1']);
    assert.deepEqual(dns.dnsSearch, ['dns.podman']);
    assert.throws(() => parseSetupOutput('not json'), { kind: 'internal' });
  });

  it('reads the error netavark prints on stdout', () => {
    assert.equal(
      netavarkError(
        '{"error":"invalid namespace path: IO error: No such file or directory (os error 2)"}',
      ),
      'invalid namespace path: IO error: No such file or directory (os error 2)',
    );
    assert.equal(netavarkError(''), undefined);
    assert.equal(netavarkError('{"x":1}'), undefined);
  });
});
