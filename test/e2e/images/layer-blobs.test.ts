// Issue 12: a pulled (or loaded) layer keeps no compressed blob beside its unpacked files; its tar
// comes back byte for byte from the snapshot's tar-split for save and push.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { startDaemon } from '../../helpers/daemon.js';
import { dockerOk } from '../../helpers/docker-cli.js';
import { execOk } from '../../helpers/exec.js';
import { buildImage, busyboxRootfs, pushImage } from '../../helpers/image-builder.js';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';

describe('layer blobs after a pull', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let ref: string;
  let diffIds: string[];
  let layerDigests: string[];
  let manifestDigest: string;
  const blobPath = (digest: string): string =>
    join(d.dataRoot, 'content', 'blobs', 'sha256', digest.slice('sha256:'.length));
  const stored = (digest: string): Promise<boolean> =>
    access(blobPath(digest)).then(
      () => true,
      () => false,
    );

  before(async () => {
    d = await startDaemon();
    reg = await startRegistry();
    // Two layers, the second overwriting a file of the first and adding a hardlink, so that a
    // rebuilt tar has more than one kind of entry to get right.
    const image = await buildImage({
      layers: [
        busyboxRootfs(),
        [
          { path: 'etc/motd', type: 'file', content: 'second layer\n' },
          { path: 'data', type: 'dir' },
          { path: 'data/big', type: 'file', content: 'x'.repeat(300_000) },
        ],
      ],
      config: { Cmd: ['sh'] },
    });
    manifestDigest = await pushImage(reg, 'blobs/source', 'v1', image);
    diffIds = image.layers.map((l) => l.diffId);
    layerDigests = image.layers.map((l) => l.digest);
    ref = `${reg.addr}/blobs/source:v1`;
    await dockerOk(d, ['pull', ref]);
  });
  after(async () => {
    await d.cleanup();
    await reg.stop();
  });

  it('keeps the config but not the layer blobs, and the image runs', async () => {
    const id = (await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', ref])).trim();
    assert.equal(await stored(id), true, 'the config blob stays');
    for (const l of layerDigests) assert.equal(await stored(l), false, `blob ${l} is dropped`);
    assert.equal(
      (await dockerOk(d, ['run', '--rm', ref, 'cat', '/etc/motd', '/data/big'])).slice(0, 13),
      'second layer\n',
    );
  });

  it('save writes layer tars that hash to the DiffIDs, and load takes them back', async () => {
    const file = join(d.dir, 'saved.tar');
    await dockerOk(d, ['save', '-o', file, ref]);
    for (const diffId of diffIds) {
      const hex = diffId.slice('sha256:'.length);
      const out = await execOk('sh', ['-c', `tar -xOf '${file}' blobs/sha256/${hex} | sha256sum`]);
      assert.equal(`sha256:${out.split(' ')[0] ?? ''}`, diffId);
    }
    await dockerOk(d, ['rmi', ref]);
    await dockerOk(d, ['load', '-i', file]);
    // The loaded (uncompressed) layers are rebuildable too: no blob doubles the image.
    for (const diffId of diffIds) assert.equal(await stored(diffId), false);
    assert.equal(
      (await dockerOk(d, ['run', '--rm', ref, 'cat', '/etc/motd'])).trim(),
      'second layer',
    );
  });

  it('push to another repository mounts the layers and keeps the manifest digest', async () => {
    // Pulled afresh: the loaded image of the test before names its layers by their tars' digests.
    await dockerOk(d, ['rmi', ref]);
    await dockerOk(d, ['pull', ref]);
    const other = `${reg.addr}/blobs/copy:v1`;
    await dockerOk(d, ['tag', ref, other]);
    const out = await dockerOk(d, ['push', other]);
    assert.match(out, /Mounted from blobs\/source/);
    assert.match(out, new RegExp(`v1: digest: ${manifestDigest} size:`));
  });

  it('push of a layer nobody can lend recompresses it from the snapshot; the result pulls and runs', async () => {
    // A loaded image has no repository to mount from, and its layer digests are the
    // uncompressed tars', which the registry has never seen.
    const file = join(d.dir, 'again.tar');
    await dockerOk(d, ['save', '-o', file, ref]);
    await dockerOk(d, ['rmi', ref, `${reg.addr}/blobs/copy:v1`]);
    await dockerOk(d, ['load', '-i', file]);
    const target = `${reg.addr}/blobs/rebuilt:v1`;
    await dockerOk(d, ['tag', ref, target]);
    const out = await dockerOk(d, ['push', target]);
    assert.match(out, /Pushed/);
    const digest = /v1: digest: (sha256:[0-9a-f]{64}) size:/.exec(out)?.[1] ?? '';
    assert.notEqual(digest, '');
    // Pushing again finds the same recompressed blobs there (gzip is deterministic).
    const again = await dockerOk(d, ['push', target]);
    assert.doesNotMatch(again, /Pushed/);
    assert.match(again, new RegExp(`v1: digest: ${digest} size:`));
    await dockerOk(d, ['rmi', ref, target]);
    await dockerOk(d, ['pull', `${reg.addr}/blobs/rebuilt@${digest}`]);
    const pulled = (
      await dockerOk(d, [
        'image',
        'inspect',
        '-f',
        '{{json .RootFS.Layers}}',
        `${reg.addr}/blobs/rebuilt@${digest}`,
      ])
    ).trim();
    assert.deepEqual(JSON.parse(pulled), diffIds);
    assert.equal(
      (
        await dockerOk(d, [
          'run',
          '--rm',
          `${reg.addr}/blobs/rebuilt@${digest}`,
          'cat',
          '/etc/motd',
        ])
      ).trim(),
      'second layer',
    );
  });
});
