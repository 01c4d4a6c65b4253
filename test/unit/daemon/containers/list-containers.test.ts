import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { portKeys } from '../../../../src/daemon/containers/list-containers.js';

describe('portKeys (publish= and expose= filters)', () => {
  it('defaults to tcp, keeps the protocol, expands ranges', () => {
    assert.deepEqual(portKeys('80'), ['80/tcp']);
    assert.deepEqual(portKeys('80/udp'), ['80/udp']);
    assert.deepEqual(portKeys('8000-8002/tcp'), ['8000/tcp', '8001/tcp', '8002/tcp']);
  });

  it('matches nothing for what is not a port', () => {
    assert.deepEqual(portKeys('http'), []);
    assert.deepEqual(portKeys('90-80'), []);
    assert.deepEqual(portKeys('80/icmp'), []);
  });
});
