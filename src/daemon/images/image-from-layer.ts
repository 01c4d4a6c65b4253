/**
 * A new image on top of an optional parent (docker commit, docker import, each build step): an
 * optional new layer, stored gzip-compressed in the content store (digest and DiffID computed in
 * one pass) and unpacked into its snapshot — or, for a build step, the snapshot the step wrote
 * committed as is — then the config written, the image recorded and tagged.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { chainIds as computeChainIds } from '../../image/chain-id.js';
import type { Descriptor } from '../../image/descriptor.js';
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
import { LAYER_SIZE_LABEL, type ImageContext } from './image-context.js';
import { unpackLayer } from './unpack-layer.js';

/** An image from a layer tar (commit, import): an ImageRecord whose layer is still to store. */
export interface NewImage extends Omit<
  ImageRecord,
  'layer' | 'container' | 'containerConfig' | 'buildKey'
> {
  readonly layer: Readable;
}

/** A layer already in the content store and in a committed snapshot. */
export interface StoredLayer {
  readonly descriptor: Descriptor;
  readonly diffId: string;
  /** Uncompressed bytes. */
  readonly size: number;
}

export interface ImageRecord {
  readonly parent?: { readonly image: StoredImage; readonly config: ImageConfig };
  /** undefined: a config-only step (ENV, CMD...), recorded as an empty layer in the history. */
  readonly layer?: StoredLayer;
  readonly config: ImageRuntimeConfig;
  readonly history: HistoryEntry;
  readonly author?: string;
  readonly comment?: string;
  readonly repoTag?: string;
  readonly arch: string;
  /** Build steps: the classic builder's `container` and `container_config`. */
  readonly container?: string;
  readonly containerConfig?: ImageRuntimeConfig;
  /** Build steps: what the build cache matches on (see src/build/build-cache.ts). */
  readonly buildKey?: string;
}

export async function imageFromLayer(ctx: ImageContext, n: NewImage): Promise<StoredImage> {
  const parentChain = n.parent?.image.chainIds.at(-1);
  const layer = await storeLayer(ctx, n.layer, {
    ...(parentChain ? { parentChainId: parentChain } : {}),
  });
  return recordImage(ctx, { ...n, layer });
}

/**
 * Stores a layer tar: compressed into the content store, and as the snapshot of its chain —
 * `writtenSnapshot` (an active snapshot on the parent chain whose content *is* this tar: a build
 * step's copy target) is committed under the chain id, anything else is unpacked from the blob.
 * `writtenSnapshot` is consumed either way.
 */
export async function storeLayer(
  ctx: ImageContext,
  tar: Readable,
  o: { parentChainId?: string; writtenSnapshot?: string },
): Promise<StoredLayer> {
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
    await pipeline(tar, hasher, createGzip({ level: 1 }), w.stream);
  } catch (e) {
    await w.abort();
    if (o.writtenSnapshot) await ctx.snapshots.remove(o.writtenSnapshot).catch(() => undefined);
    throw archiveError(e);
  }
  const blob = await w.commit(undefined, undefined);
  const diffId = `sha256:${hash.digest('hex')}`;
  const chainOf = o.parentChainId ? chainAfter(o.parentChainId, diffId) : diffId;
  if (o.writtenSnapshot) {
    try {
      if (await ctx.snapshots.stat(chainOf)) await ctx.snapshots.remove(o.writtenSnapshot);
      else
        await ctx.snapshots.commit(chainOf, o.writtenSnapshot, {
          [LAYER_SIZE_LABEL]: String(size),
        });
    } catch (e) {
      await ctx.snapshots.remove(o.writtenSnapshot).catch(() => undefined);
      throw e;
    }
  } else if (!(await ctx.snapshots.stat(chainOf))) {
    // The layer is the client's tar: a truncated or broken one is a 400, not the daemon's fault.
    await unpackLayer(
      ctx.snapshots,
      decompress(await ctx.content.open(blob.digest), 'gzip', ctx.zstd),
      { chainId: chainOf, ...(o.parentChainId ? { parent: o.parentChainId } : {}), diffId },
    ).catch((e: unknown) => {
      throw archiveError(e);
    });
  }
  return {
    descriptor: { mediaType: MT.dockerLayerGzip, digest: blob.digest, size: blob.size },
    diffId,
    size,
  };
}

/** The chain id of `diffId` on top of the chain `parentChainId` (image-spec: sha256 of "parent diff"). */
function chainAfter(parentChainId: string, diffId: string): string {
  return `sha256:${createHash('sha256').update(`${parentChainId} ${diffId}`).digest('hex')}`;
}

/** Writes the config and manifest of an image made of the parent's layers plus `layer`, and records it. */
export async function recordImage(ctx: ImageContext, n: ImageRecord): Promise<StoredImage> {
  const diffIds = [...(n.parent?.image.diffIds ?? []), ...(n.layer ? [n.layer.diffId] : [])];
  const chainIds = computeChainIds(diffIds);
  const created = n.history.created ?? new Date().toISOString();
  const config: ImageConfig = {
    architecture: n.parent?.config.architecture || n.arch,
    os: 'linux',
    ...(n.parent?.config.variant ? { variant: n.parent.config.variant } : {}),
    created,
    ...(n.author ? { author: n.author } : {}),
    ...(n.comment ? { comment: n.comment } : {}),
    config: n.config,
    ...(n.container ? { container: n.container } : {}),
    ...(n.containerConfig ? { containerConfig: n.containerConfig } : {}),
    diffIds,
    history: [
      ...(n.parent?.config.history ?? []),
      { ...n.history, created, ...(n.layer ? {} : { emptyLayer: true }) },
    ],
  };
  const configBytes = serializeImageConfig(config);
  const cfg = await ctx.content.put(configBytes);
  const layers = [...(n.parent?.image.layers ?? []), ...(n.layer ? [n.layer.descriptor] : [])];
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
    size: (n.parent?.image.size ?? 0) + (n.layer?.size ?? 0),
    created,
    manifestDigest: man.digest,
    manifestMediaType: MT.dockerManifest,
    ...(n.parent ? { parent: n.parent.image.id } : {}),
    ...(n.buildKey ? { buildKey: n.buildKey } : {}),
    addedAt: created,
  };
  await ctx.store.put(img);
  if (n.repoTag) await ctx.store.tag(normalizeTagged(n.repoTag), img.id);
  return img;
}
