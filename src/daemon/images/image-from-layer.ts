/**
 * A new image from one layer tar on top of an optional parent (docker commit, docker import):
 * the layer is stored gzip-compressed in the content store (digest and DiffID computed in one
 * pass), unpacked into its snapshot, the config written, the image recorded and tagged.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { chainIds as computeChainIds } from '../../image/chain-id.js';
import {
  serializeImageConfig,
  type HistoryEntry,
  type ImageConfig,
  type ImageRuntimeConfig,
} from '../../image/image-config.js';
import { MT } from '../../image/media-types.js';
import { normalizeTagged } from '../../image/reference.js';
import type { StoredImage } from '../../image/image-store.js';
import { archiveError } from '../../errors.js';
import { decompress } from './decompress.js';
import type { ImageContext } from './image-context.js';
import { unpackLayer } from './unpack-layer.js';

export interface NewImage {
  readonly parent?: { readonly image: StoredImage; readonly config: ImageConfig };
  readonly layer: Readable;
  readonly config: ImageRuntimeConfig;
  readonly history: HistoryEntry;
  readonly author?: string;
  readonly comment?: string;
  readonly repoTag?: string;
  readonly arch: string;
}

export async function imageFromLayer(ctx: ImageContext, n: NewImage): Promise<StoredImage> {
  const hash = createHash('sha256');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const w = await ctx.content.writer();
  try {
    await pipeline(n.layer, hasher, createGzip({ level: 1 }), w.stream);
  } catch (e) {
    await w.abort();
    throw archiveError(e);
  }
  const blob = await w.commit(undefined, undefined);
  const diffId = `sha256:${hash.digest('hex')}`;
  const parentChains = n.parent?.image.chainIds ?? [];
  const diffIds = [...(n.parent?.image.diffIds ?? []), diffId];
  const chainIds = computeChainIds(diffIds);
  const chainId = chainIds[chainIds.length - 1] ?? diffId;
  if (!(await ctx.snapshots.stat(chainId))) {
    const parent = parentChains[parentChains.length - 1];
    // The layer is the client's tar: a truncated or broken one is a 400, not the daemon's fault.
    await unpackLayer(
      ctx.snapshots,
      decompress(await ctx.content.open(blob.digest), 'gzip', ctx.zstd),
      { chainId, ...(parent ? { parent } : {}), diffId },
    ).catch((e: unknown) => {
      throw archiveError(e);
    });
  }
  const created = new Date().toISOString();
  const config: ImageConfig = {
    architecture: n.parent?.config.architecture || n.arch,
    os: 'linux',
    created,
    ...(n.author ? { author: n.author } : {}),
    ...(n.comment ? { comment: n.comment } : {}),
    config: n.config,
    diffIds,
    history: [...(n.parent?.config.history ?? []), n.history],
  };
  const configBytes = serializeImageConfig(config);
  const cfg = await ctx.content.put(configBytes);
  const layers = [
    ...(n.parent?.image.layers ?? []),
    { mediaType: MT.dockerLayerGzip, digest: blob.digest, size: blob.size },
  ];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.dockerManifest,
      config: { mediaType: MT.dockerConfig, digest: cfg.digest, size: cfg.size },
      layers,
    }),
  );
  const man = await ctx.content.put(manifest);
  const img: StoredImage = {
    id: cfg.digest,
    layers,
    diffIds,
    chainIds,
    size: (n.parent?.image.size ?? 0) + size,
    created,
    manifestDigest: man.digest,
    manifestMediaType: MT.dockerManifest,
    ...(n.parent ? { parent: n.parent.image.id } : {}),
    addedAt: created,
  };
  await ctx.store.put(img);
  if (n.repoTag) await ctx.store.tag(normalizeTagged(n.repoTag), img.id);
  return img;
}
