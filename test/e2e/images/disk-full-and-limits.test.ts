// Issue 8: a full disk during a pull fails the pull, not the daemon, and leaves nothing
// half-written; a zstd layer refused half way does not stall its pull; `docker load` checks a
// layer against its DiffID even when the chain is already stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { removeTree, startDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { sharedRegistry } from '../../helpers/test-registry-env.js';
import {
  buildImage,
  layerTar,
  pushImage,
  pushManifest,
  type FileEntry,
} from '../../helpers/image-builder.js';

const MiB = 1024 * 1024;
/** Set by scripts/run-tests.mjs (as root): a small tmpfs the test user owns. */
const smallFs = process.env['SKIFF_TEST_SMALL_FS'];

/** Random, so that no compression makes it fit. */
const bigFile = (path: string, bytes: number): FileEntry[] => [
  { path, type: 'file', content: randomBytes(bytes) },
];

async function usedBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return (s.blocks - s.bfree) * s.bsize;
}

/** Snapshot directories that are not committed layers: half-made or half-removed ones. */
async function leftoverSnapshots(dataRoot: string): Promise<string[]> {
  const left: string[] = [];
  const drivers = await readdir(join(dataRoot, 'snapshots')).catch(() => []);
  for (const driver of drivers) {
    const dir = join(dataRoot, 'snapshots', driver, 'snapshots');
    for (const s of await readdir(dir).catch(() => [])) {
      const meta = await readFile(join(dir, s, 'meta.json'), 'utf8').catch(() => undefined);
      const parsed = meta ? (JSON.parse(meta) as { key: string; kind: string }) : undefined;
      if (!parsed || parsed.kind !== 'committed')
        left.push(`${driver}/${s} ${meta ?? '(no meta)'}`);
    }
  }
  return left;
}

describe('a pull that does not fit on the disk', () => {
  let d: TestDaemon | undefined;
  let dataRoot = '';

  after(async () => {
    await d?.cleanup();
    if (dataRoot) await removeTree(dataRoot);
  });

  it(
    'fails with "no space left on device"; the daemon keeps serving and nothing half-written remains',
    {
      skip:
        !smallFs &&
        'SKIFF_TEST_SMALL_FS is not set: run through scripts/run-tests.mjs as root, which mounts a small tmpfs for the test user',
    },
    async (t) => {
      if (!smallFs) return;
      const reg = sharedRegistry();
      const capacity = (await statfs(smallFs)).blocks * (await statfs(smallFs)).bsize;
      // Three layers of incompressible data, each alone smaller than the disk, together (blobs
      // plus unpacked files) far beyond it: the disk fills in the middle of downloads and unpacks.
      const layerBytes = Math.ceil(capacity / 2.5);
      const image = await buildImage({
        layers: [bigFile('a', layerBytes), bigFile('b', layerBytes), bigFile('c', layerBytes)],
      });
      await pushImage({ addr: reg }, 'issue8/too-big', 'latest', image);
      dataRoot = await mkdtemp(join(smallFs, 'data-root-'));
      d = await startDaemon({ config: { 'data-root': dataRoot } });
      const pid = await d.skiffdPid();
      const before = await usedBytes(smallFs);

      const pull = await docker(d, ['pull', `${reg}/issue8/too-big:latest`]);
      assert.notEqual(pull.code, 0, `the pull succeeded:\n${pull.stdout}`);
      assert.match(pull.stderr, /no space left on device/, pull.stderr);
      t.diagnostic(`docker pull: ${pull.stderr.trim()}`);

      // Still the same daemon, still answering.
      assert.match(await dockerOk(d, ['version', '--format', '{{.Server.Version}}']), /\S/);
      assert.doesNotMatch(
        await dockerOk(d, ['images', '--format', '{{.Repository}}']),
        /issue8\/too-big/,
      );
      assert.equal(await d.skiffdPid(), pid);
      assert.equal(d.process.exitCode, null);
      const log = await d.log();
      // The error went its normal way, not through the last-resort handler.
      assert.doesNotMatch(log, /BUG: /, log);

      assert.deepEqual(await readdir(join(dataRoot, 'content', 'ingest')), []);
      assert.deepEqual(await leftoverSnapshots(dataRoot), []);
      const after = await usedBytes(smallFs);
      t.diagnostic(
        `tmpfs ${(capacity / MiB).toFixed(0)} MiB, image ${((3 * layerBytes) / MiB).toFixed(1)} MiB in 3 layers; used before the pull ${(before / MiB).toFixed(1)} MiB, after the failed pull ${(after / MiB).toFixed(1)} MiB (complete blobs and layers may stay)`,
      );
    },
  );
});

describe('zstd layers and docker load', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d.cleanup();
  });

  for (const compression of ['zstd', 'gzip', 'none'] as const)
    it(`a ${compression} layer refused half way (a link to a lower layer) does not stall its pull`, async (t) => {
      const driver = (await dockerOk(d, ['info', '--format', '{{.Driver}}'])).trim();
      if (driver === 'vfs') {
        t.skip('vfs unpacks layers after their download: there is no half-way refusal to stall');
        return;
      }
      const reg = sharedRegistry();
      // Layer 2 starts with a hardlink to a file of layer 1: unpacked without its parent while
      // it downloads, it is refused at once, and must be drained and unpacked again on its
      // parent. 16 MiB after it fill every pipe between the download and the decompressor.
      const image = await buildImage({
        compression,
        format: 'oci',
        layers: [
          [{ path: 'base', type: 'file', content: 'base layer\n' }],
          [
            { path: 'link', type: 'hardlink', linkname: 'base' },
            { path: 'payload', type: 'file', content: randomBytes(16 * MiB) },
          ],
        ],
      });
      const repo = `issue8/link-${compression}`;
      await pushImage({ addr: reg }, repo, 'latest', image);
      const pull = await docker(d, ['pull', `${reg}/${repo}:latest`], { timeoutMs: 120_000 });
      assert.equal(pull.code, 0, `${pull.stderr}${pull.stdout}`);
      assert.match(pull.stdout, /Downloaded newer image/);
    });

  it('a layer bigger than its descriptor says is refused, and nothing escapes as a crash', async () => {
    const reg = sharedRegistry();
    const image = await buildImage({
      layers: [[{ path: 'data', type: 'file', content: randomBytes(200 * 1024) }]],
    });
    await pushImage({ addr: reg }, 'issue8/lying-size', 'honest', image);
    const manifest = JSON.parse(image.manifest.toString()) as {
      layers: { size: number; digest: string }[];
    };
    const layer = manifest.layers[0];
    assert.ok(layer);
    // Refused with the first bytes to arrive: while the unpacking beside the download is
    // still preparing its snapshot (the moment nothing listened to its input's errors yet).
    const declared = 1000;
    layer.size = declared;
    await pushManifest(
      { addr: reg },
      'issue8/lying-size',
      'lie',
      image.mediaType,
      Buffer.from(JSON.stringify(manifest)),
    );
    const pid = await d.skiffdPid();
    const pull = await docker(d, ['pull', `${reg}/issue8/lying-size:lie`]);
    assert.notEqual(pull.code, 0, pull.stdout);
    assert.match(
      pull.stderr,
      new RegExp(`blob ${layer.digest} is larger than its descriptor's ${declared} bytes`),
    );
    assert.equal(await d.skiffdPid(), pid);
    // Refused on the way in: no stray 'error' event reached the last-resort handler.
    const log = await d.log();
    assert.doesNotMatch(log, /BUG: /, log);
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    assert.deepEqual(await leftoverSnapshots(d.dataRoot), []);
  });

  it('docker load refuses a layer whose content does not match its DiffID when the chain exists', async () => {
    const good = await buildImage({
      compression: 'none',
      layers: [[{ path: 'marker', type: 'file', content: 'the genuine layer\n' }]],
    });
    const goodLayer = good.layers[0];
    assert.ok(goodLayer);
    // Same config DiffIDs (so the same chain id), other content in the archive.
    const forged = await buildImage({
      compression: 'none',
      config: { Cmd: ['forged'] },
      layers: [[{ path: 'marker', type: 'file', content: 'the genuine layer\n' }]],
    });
    const evil = await layerTar([{ path: 'marker', type: 'file', content: 'tampered content\n' }]);
    const archive = async (
      name: string,
      config: Buffer,
      tag: string,
      layer: Buffer,
    ): Promise<string> => {
      const file = join(d.dir, `${name}.tar`);
      await writeFile(
        file,
        await layerTar([
          { path: 'config.json', type: 'file', content: config },
          { path: 'layer.tar', type: 'file', content: layer },
          {
            path: 'manifest.json',
            type: 'file',
            content: JSON.stringify([
              { Config: 'config.json', RepoTags: [tag], Layers: ['layer.tar'] },
            ]),
          },
        ]),
      );
      return file;
    };
    const load1 = await dockerOk(d, [
      'load',
      '-i',
      await archive('good', good.config, 'issue8/load:good', goodLayer.data),
    ]);
    assert.match(load1, /Loaded image: issue8\/load:good/);

    const r = await docker(d, [
      'load',
      '-i',
      await archive('forged', forged.config, 'issue8/load:forged', evil),
    ]);
    assert.notEqual(r.code, 0, `the forged archive loaded:\n${r.stdout}`);
    assert.match(
      r.stderr,
      new RegExp(
        `layer content does not match the image config: DiffID sha256:[0-9a-f]{64}, expected ${goodLayer.diffId}`,
      ),
    );
    const inspect = await docker(d, ['image', 'inspect', 'issue8/load:forged']);
    assert.notEqual(inspect.code, 0);
    assert.match(inspect.stderr, /No such image/);
    // The genuine one is untouched, and loads again.
    assert.match(
      await dockerOk(d, [
        'load',
        '-i',
        await archive('good2', good.config, 'issue8/load:good', goodLayer.data),
      ]),
      /Loaded image: issue8\/load:good/,
    );
  });
});
