// Issue 3: pull/push/tag/rmi/prune/history/inspect, multi-arch indexes, zstd and plain layers,
// hostile layers, with the real docker CLI against Debian's docker-registry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawTar } from '../../helpers/raw-tar.js';
import { exec } from '../../helpers/exec.js';
import { access, chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { startDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { busyboxRef, sharedRegistry } from '../../helpers/test-registry-env.js';
import {
  buildImage,
  busyboxRootfs,
  hostArch,
  pushImage,
  pushIndex,
  sha256,
  type FileEntry,
} from '../../helpers/image-builder.js';

const marker = (text: string): FileEntry[] => [
  { path: 'marker', type: 'file', content: `${text}\n` },
];

describe('images with the docker CLI', () => {
  let d: TestDaemon;
  const reg = sharedRegistry();
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d.cleanup();
  });

  it('pulls by tag with the progress the CLI draws; images, inspect and history show it', async () => {
    const r = await docker(d, ['pull', busyboxRef()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Pull complete/);
    assert.match(r.stdout, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, /Status: Downloaded newer image for/);
    const again = await dockerOk(d, ['pull', busyboxRef()]);
    assert.match(again, /Image is up to date/);
    const inspect = JSON.parse(await dockerOk(d, ['image', 'inspect', busyboxRef()])) as {
      Id: string;
      RepoTags: string[];
      RepoDigests: string[];
      Architecture: string;
      Os: string;
      RootFS: { Layers: string[] };
      Config: { Cmd: string[] };
    }[];
    const img = inspect[0];
    assert.ok(img);
    assert.match(img.Id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(img.RepoTags, [busyboxRef()]);
    assert.equal(img.RepoDigests.length, 1);
    assert.equal(img.Architecture, hostArch());
    assert.equal(img.Os, 'linux');
    assert.equal(img.RootFS.Layers.length, 1);
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.match(
      await dockerOk(d, ['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']),
      new RegExp(`${reg}/busybox:latest \\d`),
    );
    assert.match(await dockerOk(d, ['history', busyboxRef()]), /skiff test image builder/);
  });

  it('tag, push to another repository, rmi, pull back by digest', async () => {
    const ref = `${reg}/pushed/busybox:v1`;
    await dockerOk(d, ['tag', busyboxRef(), ref]);
    const push = await dockerOk(d, ['push', ref]);
    assert.match(push, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push)?.[1] ?? '';
    const untag = await dockerOk(d, ['rmi', ref]);
    assert.match(untag, /Untagged: /);
    await dockerOk(d, ['pull', `${reg}/pushed/busybox@${digest}`]);
    assert.equal(
      (
        await dockerOk(d, ['run', '--rm', `${reg}/pushed/busybox@${digest}`, 'echo', 'by digest'])
      ).trim(),
      'by digest',
    );
  });

  it('a multi-arch index resolves to the host platform; --platform picks another', async () => {
    const amd = await buildImage({
      layers: [busyboxRootfs(), marker('amd64')],
      architecture: 'amd64',
    });
    const arm = await buildImage({
      layers: [busyboxRootfs(), marker('arm64')],
      architecture: 'arm64',
      variant: 'v8',
    });
    await pushIndex({ addr: reg }, 'multi', 'latest', [
      { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
      { image: arm, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ]);
    await dockerOk(d, ['pull', `${reg}/multi:latest`]);
    assert.equal(
      (await dockerOk(d, ['run', '--rm', `${reg}/multi:latest`, 'cat', '/marker'])).trim(),
      hostArch(),
    );
    await dockerOk(d, ['pull', '--platform', 'linux/arm64', `${reg}/multi:latest`]);
    assert.equal(
      (
        await dockerOk(d, ['image', 'inspect', '-f', '{{.Architecture}}', `${reg}/multi:latest`])
      ).trim(),
      'arm64',
    );
  });

  it('zstd-compressed, uncompressed and OCI-format layers', async () => {
    for (const [name, compression, format] of [
      ['zst', 'zstd', 'oci'],
      ['plain', 'none', 'docker'],
      ['ocigz', 'gzip', 'oci'],
    ] as const) {
      await pushImage(
        { addr: reg },
        name,
        'latest',
        await buildImage({ layers: [busyboxRootfs(), marker(name)], compression, format }),
      );
      await dockerOk(d, ['pull', `${reg}/${name}`]);
      assert.equal(
        (await dockerOk(d, ['run', '--rm', `${reg}/${name}`, 'cat', '/marker'])).trim(),
        name,
      );
    }
  });

  it('a layer that tries to write outside itself is refused and writes nothing', async () => {
    for (const [i, layer] of [
      await rawTar([{ name: '../../../../../../tmp/skiff-escape-1', body: 'x' }]),
      await rawTar([
        { name: 'evil', type: 'symlink', linkname: '/tmp' },
        { name: 'evil/skiff-escape-2' },
      ]),
      await rawTar([
        { name: 'up', type: 'symlink', linkname: '../../../../../../../../tmp' },
        { name: 'up/skiff-escape-3' },
      ]),
    ].entries()) {
      await pushImage(
        { addr: reg },
        `hostile${i}`,
        'latest',
        await buildImage({ layers: [layer] }),
      );
      const r = await docker(d, ['pull', `${reg}/hostile${i}`]);
      assert.notEqual(r.code, 0, `hostile${i} was accepted`);
      assert.match(r.stderr + r.stdout, /refusing layer entry/);
    }
    for (const n of [1, 2, 3]) await assert.rejects(access(`/tmp/skiff-escape-${n}`));
  });

  it('a path replaced by a symlink later in the layer gets none of what was meant for the old path', async () => {
    // The victim is the test user's own file: the only kind a rootless escape could touch.
    const victim = join(d.dir, 'victim');
    await writeFile(victim, 'mine');
    await chmod(victim, 0o600);
    const layer = await rawTar([
      // A hardlink through a symlink would put the victim's inode into the image.
      { name: 'd', type: 'directory' },
      // Metadata and a whiteout queued for d/..., then d becomes a symlink to the victim's dir.
      { name: 'd/victim', mode: 0o4777 },
      { name: 'd/.wh.skiff-escape-4' },
      { name: 'd', type: 'symlink', linkname: d.dir },
    ]);
    await pushImage(
      { addr: reg },
      'hostile-replace',
      'latest',
      await buildImage({ layers: [layer] }),
    );
    await docker(d, ['pull', `${reg}/hostile-replace`]);
    assert.equal((await stat(victim)).mode & 0o7777, 0o600);
    assert.equal(await readFile(victim, 'utf8'), 'mine');
    await assert.rejects(access(join(d.dir, 'skiff-escape-4')));
    const link = await rawTar([
      { name: 'evil', type: 'symlink', linkname: d.dir },
      { name: 'grab', type: 'link', linkname: 'evil/victim' },
    ]);
    await pushImage({ addr: reg }, 'hostile-link', 'latest', await buildImage({ layers: [link] }));
    const r = await docker(d, ['pull', `${reg}/hostile-link`]);
    assert.notEqual(r.code, 0, 'a hardlink through a symlink was accepted');
    assert.match(r.stderr, /hardlink target "evil\/victim" not found in the layer or below/);
    assert.equal((await stat(victim)).nlink, 1);
  });

  it("rmi of an image a container uses is a 409 with Docker's message; prune removes dangling images", async () => {
    await dockerOk(d, ['tag', busyboxRef(), 'inuse:v1']);
    await dockerOk(d, ['create', '--name', 'user1', 'inuse:v1', 'true']);
    const id = (await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', 'inuse:v1'])).trim();
    const r = await docker(d, ['rmi', id]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container [0-9a-f]{12}/,
    );
    await dockerOk(d, ['rm', 'user1']);
    await pushImage(
      { addr: reg },
      'dangling',
      'latest',
      await buildImage({ layers: [marker('one')] }),
    );
    await dockerOk(d, ['pull', `${reg}/dangling`]);
    await pushImage(
      { addr: reg },
      'dangling',
      'latest',
      await buildImage({ layers: [marker('two')] }),
    );
    await dockerOk(d, ['pull', `${reg}/dangling`]);
    assert.match(await dockerOk(d, ['images', '--filter', 'dangling=true', '-q']), /[0-9a-f]{12}/);
    const pruned = await dockerOk(d, ['image', 'prune', '-f']);
    assert.match(pruned, /Total reclaimed space/);
    assert.equal((await dockerOk(d, ['images', '--filter', 'dangling=true', '-q'])).trim(), '');
  });

  it("layers unpack side by side, and one that hardlinks to a lower layer's file still works", async () => {
    const image = await buildImage({
      layers: [
        busyboxRootfs(),
        await rawTar([{ name: 'data/a', body: 'from the first layer' }]),
        await rawTar([
          { name: 'data', type: 'directory' },
          { name: 'data/b', type: 'link', linkname: 'data/a' },
          { name: 'data/c', body: 'third' },
        ]),
      ],
      compression: 'none',
    });
    await pushImage({ addr: reg }, 'crosslink', 'latest', image);
    await dockerOk(d, ['pull', `${reg}/crosslink`]);
    const out = await dockerOk(d, ['run', '--rm', `${reg}/crosslink`, 'cat', '/data/b', '/data/c']);
    assert.equal(out, 'from the first layerthird');
    assert.match(
      await dockerOk(d, ['image', 'inspect', '-f', '{{len .RootFS.Layers}}', `${reg}/crosslink`]),
      /^3\s*$/,
    );
  });

  it('a layer whose content does not match the config fails the pull and leaves no snapshot behind', async () => {
    const good = await buildImage({
      layers: [busyboxRootfs(), marker('second'), marker('third')],
    });
    const config = JSON.parse(good.config.toString()) as { rootfs: { diff_ids: string[] } };
    config.rootfs.diff_ids[1] = sha256('not this layer');
    const configBytes = Buffer.from(JSON.stringify(config));
    const manifest = JSON.parse(good.manifest.toString()) as {
      config: { digest: string; size: number };
    };
    manifest.config = { ...manifest.config, digest: sha256(configBytes), size: configBytes.length };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    await pushImage({ addr: reg }, 'baddiff', 'latest', {
      ...good,
      config: configBytes,
      configDigest: sha256(configBytes),
      manifest: manifestBytes,
      manifestDigest: sha256(manifestBytes),
    });
    const r = await docker(d, ['pull', `${reg}/baddiff`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /layer content does not match the image config/);
    const snapshots = join(d.dataRoot, 'snapshots');
    const keys = await Promise.all(
      (await readdir(snapshots)).map(async (dir) => {
        const meta = await readFile(join(snapshots, dir, 'meta.json'), 'utf8').catch(() => '{}');
        return (JSON.parse(meta) as { key?: string }).key ?? '';
      }),
    );
    assert.deepEqual(
      keys.filter((k) => k.startsWith('extract-')),
      [],
    );
  });

  it('on ext4, snapshot and volume directories carry the flag that spreads them over block groups', async (t) => {
    const fs = (await exec('stat', ['-f', '-c', '%T', d.dataRoot])).stdout.trim();
    if (!/^ext[234]/.test(fs)) {
      t.skip(`data root on ${fs}, not ext4`);
      return;
    }
    const driver = (await dockerOk(d, ['info', '--format', '{{.Driver}}'])).trim();
    for (const dir of [
      join(d.dataRoot, 'snapshots', driver, 'snapshots'),
      join(d.dataRoot, 'volumes'),
    ]) {
      const attrs = (await exec('lsattr', ['-d', dir])).stdout.split(' ')[0] ?? '';
      assert.match(attrs, /T/, `${dir}: ${attrs}`);
    }
  });

  it('the embedded hello-world runs with no registry', async () => {
    const out = await dockerOk(d, ['run', '--rm', 'hello-world']);
    assert.match(out, /Hello from skiff!/);
  });
});
