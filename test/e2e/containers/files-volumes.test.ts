// Issue 4: docker cp (both ways, escapes refused), diff, export, commit, volumes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { execOk } from '../../helpers/exec.js';

describe('files and volumes', () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await daemonWithBusybox();
    work = await mkdtemp(join(d.dir, 'work-'));
    await dockerOk(d, ['run', '-d', '--name', 'box', 'busybox', 'sleep', '300']);
  });
  after(async () => {
    await d.cleanup();
  });

  it('docker cp into and out of a running container', async () => {
    await writeFile(join(work, 'in.txt'), 'into the container\n');
    await dockerOk(d, ['cp', join(work, 'in.txt'), 'box:/tmp/']);
    assert.equal(await dockerOk(d, ['exec', 'box', 'cat', '/tmp/in.txt']), 'into the container\n');
    await dockerOk(d, ['exec', 'box', 'sh', '-c', 'mkdir -p /out/sub && echo deep > /out/sub/f']);
    await dockerOk(d, ['cp', 'box:/out', join(work, 'out')]);
    assert.equal(await readFile(join(work, 'out', 'sub', 'f'), 'utf8'), 'deep\n');
  });

  it('docker cp of a stopped container, and a path escape through a symlink stays inside', async () => {
    await dockerOk(d, ['create', '--name', 'cold', 'busybox', 'true']);
    await writeFile(join(work, 'x.txt'), 'x\n');
    await dockerOk(d, ['cp', join(work, 'x.txt'), 'cold:/etc/x.txt']);
    await dockerOk(d, ['cp', 'cold:/etc/x.txt', join(work, 'back.txt')]);
    assert.equal(await readFile(join(work, 'back.txt'), 'utf8'), 'x\n');
    // A symlink in the container pointing at an absolute host-looking path resolves inside the rootfs.
    await dockerOk(d, ['exec', 'box', 'ln', '-s', '/../../../../../../etc', '/tmp/escape']);
    await dockerOk(d, ['cp', join(work, 'x.txt'), 'box:/tmp/escape/pwned.txt']);
    await assert.rejects(access('/etc/pwned.txt'));
    assert.equal(await dockerOk(d, ['exec', 'box', 'cat', '/etc/pwned.txt']), 'x\n');
    const r = await docker(d, ['cp', 'box:/no/such/file', join(work, 'nothing')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Could not find the file \/no\/such\/file in container box/);
  });

  it('diff lists changes; export gives the rootfs; commit makes an image', async () => {
    await dockerOk(d, ['exec', 'box', 'sh', '-c', 'echo new > /newfile && rm /etc/group']);
    const diff = await dockerOk(d, ['diff', 'box']);
    assert.match(diff, /^A \/newfile$/m);
    assert.match(diff, /^D \/etc\/group$/m);
    const tarPath = join(work, 'export.tar');
    await execOk('sh', ['-c', `docker export box > ${tarPath}`], {
      env: { ...d.env, PATH: `/usr/local/bin:${process.env['PATH'] ?? ''}` },
    });
    const list = await execOk('tar', ['-tf', tarPath]);
    assert.match(list, /^bin\/busybox$/m);
    assert.match(list, /^newfile$/m);
    const id = (
      await dockerOk(d, ['commit', '-c', 'CMD ["cat", "/newfile"]', 'box', 'committed:v1'])
    ).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await dockerOk(d, ['run', '--rm', 'committed:v1']), 'new\n');
  });

  it('top lists the container processes; stats reports real figures', async () => {
    const top = await dockerOk(d, ['top', 'box']);
    assert.match(top, /sleep 300/);
    const stats = JSON.parse(
      await dockerOk(d, ['stats', '--no-stream', '--format', '{{json .}}', 'box']),
    ) as { MemUsage: string; PIDs: string };
    assert.notEqual(stats.PIDs, '0');
    assert.match(stats.MemUsage, /B \/ /);
  });

  it('volumes: named, anonymous from VOLUME, in-use 409, prune', async () => {
    await dockerOk(d, ['volume', 'create', '--label', 'k=v', 'data']);
    await dockerOk(d, [
      'run',
      '--rm',
      '-v',
      'data:/data',
      'busybox',
      'sh',
      '-c',
      'echo persisted > /data/f',
    ]);
    assert.equal(
      await dockerOk(d, ['run', '--rm', '-v', 'data:/data', 'busybox', 'cat', '/data/f']),
      'persisted\n',
    );
    const inspect = JSON.parse(await dockerOk(d, ['volume', 'inspect', 'data'])) as {
      Name: string;
      Labels: Record<string, string>;
      Mountpoint: string;
    }[];
    assert.equal(inspect[0]?.Labels['k'], 'v');
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'user',
      '-v',
      'data:/data',
      'busybox',
      'sleep',
      '300',
    ]);
    const rm = await docker(d, ['volume', 'rm', 'data']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /volume is in use/);
    await dockerOk(d, ['rm', '-f', 'user']);
    await dockerOk(d, ['volume', 'rm', 'data']);
    await dockerOk(d, ['run', '--name', 'anon', '-v', '/anon', 'busybox', 'true']);
    const mounts = JSON.parse(await dockerOk(d, ['inspect', '-f', '{{json .Mounts}}', 'anon'])) as {
      Type: string;
      Name: string;
    }[];
    assert.equal(mounts[0]?.Type, 'volume');
    await dockerOk(d, ['rm', '-v', 'anon']);
    assert.doesNotMatch(
      await dockerOk(d, ['volume', 'ls', '-q']),
      new RegExp(mounts[0]?.Name ?? 'x'),
    );
    await dockerOk(d, ['volume', 'create', 'unused']);
    assert.match(await dockerOk(d, ['volume', 'prune', '-af']), /unused/);
  });
});
