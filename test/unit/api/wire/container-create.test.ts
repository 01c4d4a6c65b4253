import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateBody } from '../../../../src/api/wire/container-create.js';
import {
  parseBind,
  parseMount,
  parseTmpfs,
  cleanPath,
} from '../../../../src/api/wire/mount-parsing.js';
import { parseHostConfig, parseRestartPolicy } from '../../../../src/api/wire/host-config.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

describe('parseCreateBody', () => {
  it('reads Docker field names and leaves unset Cmd/Entrypoint undefined for the image to fill', () => {
    const req = parseCreateBody(
      { Image: 'busybox', Env: ['A=1'], Tty: true, Labels: { a: 'b' }, ExposedPorts: { '80': {} } },
      '/web',
      null,
    );
    assert.equal(req.name, 'web');
    assert.equal(req.config.image, 'busybox');
    assert.equal(req.config.cmd, undefined);
    assert.equal(req.config.entrypoint, undefined);
    assert.deepEqual(req.config.exposedPorts, ['80/tcp']);
    assert.equal(req.config.tty, true);
    assert.equal(req.hostConfig.networkMode, 'default');
    assert.equal(req.hostConfig.restartPolicy.name, 'no');
  });

  it('accepts a string Cmd (strslice) and refuses a body without Image', () => {
    assert.deepEqual(parseCreateBody({ Image: 'x', Cmd: 'sh' }, null, null).config.cmd, ['sh']);
    assert.throws(() => parseCreateBody({ Cmd: ['sh'] }, null, null), /no image specified/);
    assert.throws(() => parseCreateBody(undefined, null, null), /config cannot be empty/);
  });

  it('names the field in type errors', () => {
    assert.throws(() => parseCreateBody({ Image: 'x', Tty: 'yes' }, null, null), {
      message: /Tty: expected a boolean/,
    });
    assert.throws(
      () => parseCreateBody({ Image: 'x', HostConfig: { Binds: 'a' } }, null, null),
      InvalidArgumentError,
    );
  });

  it('refuses a relative working directory and an env entry without a name, as Docker', () => {
    assert.throws(
      () => parseCreateBody({ Image: 'x', WorkingDir: 'rel' }, null, null),
      /needs to be an absolute path/,
    );
    assert.throws(
      () => parseCreateBody({ Image: 'x', Env: ['=x'] }, null, null),
      /invalid environment variable/,
    );
  });
});

describe('binds (-v)', () => {
  it('host path, named volume, anonymous volume, modes', () => {
    assert.deepEqual(parseBind('/data:/in:ro'), {
      type: 'bind',
      origin: 'binds',
      source: '/data',
      target: '/in',
      readOnly: true,
      createHostPath: true,
    });
    const named = parseBind('vol1:/v');
    assert.equal(named.type, 'volume');
    assert.equal(named.source, 'vol1');
    const anon = parseBind('/only');
    assert.equal(anon.type, 'volume');
    assert.equal(anon.source, '');
    assert.equal(parseBind('/a:/b:rw,rshared').propagation, 'rshared');
    assert.equal(parseBind('vol:/b:nocopy').noCopy, true);
  });

  it("refuses Docker's invalid specifications", () => {
    assert.throws(() => parseBind('/a:b'), /mount path must be absolute/);
    assert.throws(() => parseBind('/a:/'), /destination can't be '\/'/);
    assert.throws(() => parseBind('a/b:/c'), /invalid characters for a local volume name/);
    assert.throws(() => parseBind('/a:/b:rx'), /invalid mode/);
    assert.throws(() => parseBind('a:b:c:d'), /invalid volume specification/);
  });
});

describe('mounts (--mount) and tmpfs', () => {
  it('bind, volume and tmpfs entries', () => {
    const b = parseMount(
      { Type: 'bind', Source: '/s', Target: '/t', BindOptions: { Propagation: 'rslave' } },
      0,
    );
    assert.equal(b.propagation, 'rslave');
    assert.equal(b.createHostPath, false);
    const v = parseMount(
      { Type: 'volume', Target: '/t', VolumeOptions: { NoCopy: true, Labels: { k: 'v' } } },
      0,
    );
    assert.equal(v.noCopy, true);
    const t = parseMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 } }, 0);
    assert.equal(t.tmpfsSize, 1024);
  });

  it('errors name the type', () => {
    assert.throws(
      () => parseMount({ Type: 'bind', Target: '/t' }, 0),
      /invalid mount config for type "bind": field Source must not be empty/,
    );
    assert.throws(
      () => parseMount({ Type: 'tmpfs', Source: '/x', Target: '/t' }, 0),
      /field Source must not be specified/,
    );
    assert.throws(() => parseMount({ Type: 'nfs', Target: '/t' }, 0), /mount type unknown/);
  });

  it('HostConfig.Tmpfs options, size in Docker units', () => {
    const t = parseTmpfs('/run', 'rw,noexec,size=64m');
    assert.equal(t.tmpfsSize, 64 * 1024 * 1024);
    assert.deepEqual(t.options, ['noexec']);
  });

  it('duplicate mount points are refused', () => {
    assert.throws(
      () => parseHostConfig({ Binds: ['/a:/x'], Tmpfs: { '/x': '' } }),
      /Duplicate mount point: \/x/,
    );
  });

  it('cleanPath', () => {
    assert.equal(cleanPath('/a//b/./c/../d/'), '/a/b/d');
    assert.equal(cleanPath('/..'), '/');
  });
});

describe('host config validation', () => {
  it('restart policies', () => {
    assert.deepEqual(parseRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 3 }), {
      name: 'on-failure',
      maximumRetryCount: 3,
    });
    assert.throws(() => parseRestartPolicy({ Name: 'sometimes' }), /unknown policy 'sometimes'/);
    assert.throws(
      () => parseRestartPolicy({ Name: 'always', MaximumRetryCount: 2 }),
      /can only be used with 'on-failure'/,
    );
    assert.throws(
      () => parseHostConfig({ AutoRemove: true, RestartPolicy: { Name: 'always' } }),
      /AutoRemove/,
    );
  });

  it('capabilities are normalised and unknown ones refused', () => {
    const hc = parseHostConfig({
      CapAdd: ['net_admin', 'CAP_SYS_TIME', 'ALL'],
      CapDrop: ['MKNOD'],
    });
    assert.deepEqual(hc.capAdd, ['CAP_NET_ADMIN', 'CAP_SYS_TIME', 'ALL']);
    assert.throws(() => parseHostConfig({ CapAdd: ['FLY'] }), /unknown capability: "CAP_FLY"/);
  });

  it('resources, ulimits, extra hosts', () => {
    assert.throws(() => parseHostConfig({ Memory: 1024 }), /Minimum memory limit allowed is 6MB/);
    assert.throws(
      () => parseHostConfig({ NanoCpus: 1e9, CpuPeriod: 100000 }),
      /Nano CPUs and CPU Period/,
    );
    assert.throws(
      () => parseHostConfig({ Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] }),
      /soft limit must be less than or equal to hard limit/,
    );
    assert.deepEqual(parseHostConfig({ ExtraHosts: ['a=1.2.3.4', 'b:5.6.7.8'] }).extraHosts, [
      'a:1.2.3.4',
      'b:5.6.7.8',
    ]);
  });
});
