import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  hostGatewayAddress,
  hostsFile,
} from '../../../../src/daemon/containers/container-files.js';

describe('host-gateway and link lines in /etc/hosts', () => {
  it("host-gateway is slirp4netns's 10.0.2.2 behind rootlesskit, loopback on the host network, host-gateway-ip when set", () => {
    assert.equal(hostGatewayAddress('holder'), '10.0.2.2');
    assert.equal(hostGatewayAddress('host'), '127.0.0.1');
    assert.equal(hostGatewayAddress('holder', '192.168.7.1'), '192.168.7.1');
    assert.equal(hostGatewayAddress('host', '192.168.7.1'), '192.168.7.1');
  });

  it('resolves host-gateway to the given address; no host.docker.internal unless asked (as dockerd)', () => {
    const plain = hostsFile('abc', '', 'holder', [], ['172.17.0.2']);
    assert.doesNotMatch(plain, /host\.docker\.internal/);
    const text = hostsFile(
      'abc',
      '',
      'holder',
      ['host.docker.internal:host-gateway', 'db:10.1.1.1'],
      ['172.17.0.2'],
      { hostGateway: '192.168.7.1' },
    );
    assert.match(text, /^192\.168\.7\.1\thost\.docker\.internal$/m);
    assert.match(text, /^10\.1\.1\.1\tdb$/m);
  });

  it('link lines come after --add-host and before the own address', () => {
    const text = hostsFile('abc', '', 'holder', ['x:1.2.3.4'], ['172.17.0.2'], {
      links: [{ ip: '172.17.0.3', names: 'dbalias 0123456789ab db' }],
    });
    const lines = text.trim().split('\n');
    assert.deepEqual(lines.slice(-3), [
      '1.2.3.4\tx',
      '172.17.0.3\tdbalias 0123456789ab db',
      '172.17.0.2\tabc',
    ]);
  });
});
