import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateBody } from '../../../../src/api/wire/container-create.js';
import { createContainer } from '../../../../src/daemon/containers/create-container.js';
import {
  checkPrivilegedPorts,
  privilegedPortMessage,
} from '../../../../src/daemon/containers/privileged-ports.js';
import type { PortRequest } from '../../../../src/daemon/containers/publish-ports.js';
import { InvalidArgumentError } from '../../../../src/errors.js';
import { testContext, type TestContext } from './container-test-context.js';

const req = (hostPort: number, hostIp = ''): PortRequest => ({
  key: '80/tcp',
  proto: 'tcp',
  containerPort: 80,
  hostIp,
  hostPort,
});

describe('privilegedPortMessage', () => {
  it('names the port, the sysctl fix with that port, its persistence, and setcap + restart', () => {
    const m = privilegedPortMessage('', 81, 1024);
    assert.match(m, /^cannot publish 0\.0\.0\.0:81: ports below 1024 are privileged/);
    assert.ok(m.includes("'sudo sysctl net.ipv4.ip_unprivileged_port_start=81'"), m);
    assert.ok(m.includes('/etc/sysctl.d/'), m);
    assert.ok(m.includes("'sudo setcap cap_net_bind_service=ep $(which rootlesskit)'"), m);
    assert.match(m, /restart the daemon/);
  });
});

describe('checkPrivilegedPorts', () => {
  const low = { unprivilegedPortStart: 1024, canBindLow: false };

  it('refuses the lowest privileged host port with a 400', () => {
    assert.throws(
      () => {
        checkPrivilegedPorts([req(8080), req(443, '127.0.0.1'), req(81)], low);
      },
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /^cannot publish 0\.0\.0\.0:81:/.test(e.message) &&
        e.message.includes('ip_unprivileged_port_start=81'),
    );
  });

  it('lets through ports at or above the start, random ports (0), and everything with the capability', () => {
    checkPrivilegedPorts([req(1024), req(0), req(65535)], low);
    checkPrivilegedPorts([req(80)], { unprivilegedPortStart: 1024, canBindLow: true });
    checkPrivilegedPorts([req(80)], { unprivilegedPortStart: 80, canBindLow: false });
    assert.throws(() => {
      checkPrivilegedPorts([req(79)], { unprivilegedPortStart: 80, canBindLow: false });
    }, /ports below 80 are privileged/);
  });
});

describe('docker create with a privileged host port', () => {
  let t: TestContext | undefined;
  afterEach(async () => {
    await t?.cleanup();
  });

  it('is refused before anything exists: no record, no name, no snapshot', async () => {
    t = await testContext();
    const ctx = {
      ...t.ctx,
      lowPorts: () => Promise.resolve({ unprivilegedPortStart: 1024, canBindLow: false }),
    };
    const body = {
      Image: 'busybox',
      Cmd: ['true'],
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '81' }] } },
    };
    await assert.rejects(
      createContainer(ctx, parseCreateBody(body, 'web', null)),
      /cannot publish 0\.0\.0\.0:81/,
    );
    assert.equal(t.store.all().length, 0);
    assert.equal(t.store.nameTaken('web'), undefined);
    assert.equal(t.snapshots.size, 0);
    // The same host port with --network host is not published at all, so not refused.
    const host = { ...body, HostConfig: { ...body.HostConfig, NetworkMode: 'host' } };
    await createContainer(ctx, parseCreateBody(host, 'hostnet', null));
    const allowed = {
      ...ctx,
      lowPorts: () => Promise.resolve({ unprivilegedPortStart: 0, canBindLow: true }),
    };
    await createContainer(allowed, parseCreateBody(body, 'web', null));
    assert.equal(t.store.all().length, 2);
  });
});
