/**
 * `docker save`: a docker-archive that real Docker's `docker load` accepts, in Docker 25's
 * layout (which is also an OCI image layout): blobs/sha256/<hex> for configs, uncompressed
 * layer tars and manifests, manifest.json, index.json, oci-layout, repositories.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { NotFoundError } from '../../errors.js';
import { MT } from '../../image/media-types.js';
import { canonical, familiar, familiarRepository, parseReference } from '../../image/reference.js';
import type { StoredImage } from '../../image/image-store.js';
import type { ImageContext } from './image-context.js';
import { layerTar } from './layer-blobs.js';
import { layerSize } from './unpack-layer.js';

interface Selected {
  readonly image: StoredImage;
  readonly tags: string[];
}

export function selectForSave(ctx: ImageContext, names: readonly string[]): Selected[] {
  const byId = new Map<string, Selected>();
  for (const n of names) {
    const found = ctx.store.lookup(n);
    const image = ctx.store.get(found.id);
    if (!image) throw new NotFoundError(`No such image: ${n}`);
    const entry = byId.get(found.id) ?? { image, tags: [] };
    if (found.via === 'tag' && found.key) entry.tags.push(found.key);
    else if (found.via === 'id') entry.tags.push(...ctx.store.tagsOf(found.id));
    byId.set(found.id, entry);
  }
  return [...byId.values()];
}

export function saveImages(ctx: ImageContext, selected: readonly Selected[]): Readable {
  const pack = tar.pack();
  const written = new Set<string>();
  const entry = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (e) => {
        if (e) reject(e);
        else resolve();
      });
    });
  const run = async (): Promise<void> => {
    const manifestJson: unknown[] = [];
    const indexManifests: unknown[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    await entry('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    for (const s of selected) {
      const img = s.image;
      const config = await ctx.content.readAll(img.id, 8 * 1024 * 1024);
      const cfgPath = `blobs/sha256/${img.id.slice(7)}`;
      if (!written.has(cfgPath)) {
        await entry(cfgPath, config);
        written.add(cfgPath);
      }
      const layerPaths: string[] = [];
      const ociLayers: unknown[] = [];
      for (let i = 0; i < img.layers.length; i++) {
        const l = img.layers[i];
        const diffId = img.diffIds[i];
        const chainId = img.chainIds[i];
        if (!l || !diffId || !chainId) continue;
        const path = `blobs/sha256/${diffId.slice(7)}`;
        const size = await layerSize(ctx.snapshots, chainId);
        layerPaths.push(path);
        ociLayers.push({ mediaType: MT.ociLayer, digest: diffId, size });
        if (written.has(path)) continue;
        const release = ctx.leases.hold([l.digest]);
        try {
          const stream = await layerTar(ctx, img, i);
          await pipeline(stream, pack.entry({ name: path, size, mode: 0o644, mtime: new Date(0) }));
        } finally {
          release();
        }
        written.add(path);
      }
      const ociManifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociManifest,
          config: { mediaType: MT.ociConfig, digest: img.id, size: config.length },
          layers: ociLayers,
        }),
      );
      const manDigest = `sha256:${createHash('sha256').update(ociManifest).digest('hex')}`;
      await entry(`blobs/sha256/${manDigest.slice(7)}`, ociManifest);
      const repoTags = s.tags.map((t) => familiar(parseReference(t)));
      manifestJson.push({ Config: cfgPath, RepoTags: repoTags, Layers: layerPaths });
      if (s.tags.length === 0)
        indexManifests.push({
          mediaType: MT.ociManifest,
          digest: manDigest,
          size: ociManifest.length,
        });
      for (const t of s.tags) {
        const r = parseReference(t);
        indexManifests.push({
          mediaType: MT.ociManifest,
          digest: manDigest,
          size: ociManifest.length,
          annotations: {
            'io.containerd.image.name': canonical(r),
            'org.opencontainers.image.ref.name': r.tag ?? 'latest',
          },
        });
        const top = img.diffIds[img.diffIds.length - 1];
        (repositories[familiarRepository(r)] ??= {})[r.tag ?? 'latest'] = (top ?? img.id).slice(7);
      }
    }
    await entry(
      'index.json',
      Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: indexManifests }),
      ),
    );
    await entry('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    if (Object.keys(repositories).length > 0)
      await entry('repositories', Buffer.from(JSON.stringify(repositories)));
    pack.finalize();
  };
  run().catch((e: unknown) => {
    pack.destroy(e instanceof Error ? e : new Error(String(e)));
  });
  for (const s of selected)
    for (const t of s.tags) ctx.events.publish('image', 'save', familiar(parseReference(t)), {});
  return Readable.from(pack as AsyncIterable<Buffer>);
}
