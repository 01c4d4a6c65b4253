import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectCgroup, parseCgroupMounts } from '../../../../src/rootless/detect/cgroup.js';

const HYBRID = [
  '25 22 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
  '26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
  '27 25 0:25 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory',
  '28 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct',
].join('\n');
const V2 =
  '30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot';

function inputs(mountinfo: string, files: Record<string, string> = {}, writable = true) {
  return {
    mountinfo,
    selfCgroup: '0::/user.slice/user-1000.slice/user@1000.service/app.slice\n',
    readCgroupFile: (p: string) => Promise.resolve(files[p]),
    writable: () => Promise.resolve(writable),
  };
}

describe('cgroup detection', () => {
  it('reads the v2 mount and the v1 controllers from mountinfo', () => {
    const m = parseCgroupMounts(HYBRID);
    assert.equal(m.v2, '/sys/fs/cgroup/unified');
    assert.deepEqual([...m.v1Controllers].sort(), ['cpu', 'cpuacct', 'memory']);
  });

  it('hybrid hosts (as these machines) get no limits and no freezer', async () => {
    const p = await detectCgroup(inputs(HYBRID));
    assert.equal(p.layout, 'hybrid');
    assert.equal(p.driver, 'none');
    assert.deepEqual(p.delegated, []);
    assert.equal(p.freezer, false);
  });

  it('pure v2 with delegated controllers in a cgroup we own', async () => {
    const dir = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice';
    const p = await detectCgroup(
      inputs(V2, { [`${dir}/cgroup.controllers`]: 'cpu memory pids\n' }),
    );
    assert.equal(p.layout, 'v2');
    assert.equal(p.version, 2);
    assert.deepEqual(p.delegated, ['cpu', 'memory', 'pids']);
    assert.equal(p.freezer, true);
  });

  it('pure v2 without delegation (not writable, or no controllers) is driver none', async () => {
    assert.equal((await detectCgroup(inputs(V2, {}, false))).driver, 'none');
    assert.deepEqual((await detectCgroup(inputs(V2))).delegated, []);
  });

  it('v1 only', async () => {
    const v1 = '27 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory';
    const p = await detectCgroup(inputs(v1));
    assert.equal(p.layout, 'v1');
    assert.equal(p.driver, 'none');
  });
});
