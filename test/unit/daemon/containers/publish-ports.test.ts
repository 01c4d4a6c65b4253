import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { publishPorts, type PortRequest } from '../../../../src/daemon/containers/publish-ports.js';
import { ConflictError } from '../../../../src/errors.js';
import type { PortSpec } from '../../../../src/network/port-forwarder.js';
import { FakePorts } from './container-test-context.js';

/** Refuses the first `conflicts` adds, or every add of `busy`, as rootlesskit does for a taken port. */
class BusyPorts extends FakePorts {
  constructor(
    private conflicts: number,
    private readonly busy = -1,
  ) {
    super();
  }
  override add(p: PortSpec): Promise<number> {
    if (this.conflicts > 0 || p.hostPort === this.busy) {
      this.conflicts--;
      return Promise.reject(
        new ConflictError(`Bind for 0.0.0.0:${p.hostPort} failed: port is already allocated`),
      );
    }
    return super.add(p);
  }
}

const req = (containerPort: number, hostPort: number): PortRequest => ({
  key: `${containerPort}/tcp`,
  proto: 'tcp',
  containerPort,
  hostIp: '',
  hostPort,
});

describe('publishPorts', () => {
  it('a random host port that is taken meanwhile is replaced by another; the real port is kept', async () => {
    const fw = new BusyPorts(2);
    const [p] = await publishPorts(fw, [req(80, 0)], '172.17.0.2');
    assert.ok(p);
    assert.ok(p.hostPort > 0);
    assert.deepEqual(
      [...fw.live.values()],
      [
        {
          proto: 'tcp',
          hostIp: '',
          hostPort: p.hostPort,
          containerPort: 80,
          containerIp: '172.17.0.2',
        },
      ],
    );
  });

  it('a fixed host port in use fails at once and undoes the ports published before it', async () => {
    const fw = new BusyPorts(0, 40001);
    await assert.rejects(
      publishPorts(fw, [req(80, 40000), req(81, 40001)]),
      /Bind for 0\.0\.0\.0:40001 failed: port is already allocated/,
    );
    assert.equal(fw.live.size, 0);
  });
});
