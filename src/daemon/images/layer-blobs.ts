/**
 * Compressed layer blobs after a pull. Once a layer is unpacked and its snapshot kept a complete
 * tar-split (src/snapshot/tar-split.ts), the blob is dead weight: an image took 1.4× its
 * unpacked size with it. So a pull drops the blobs it can rebuild, as dockerd does, and `push`
 * and `save` read such a layer's tar through the snapshot instead (`layerTar`).
 *
 * A blob goes only when every stored image that lists it can rebuild that layer, and no pull,
 * push or save is using it at that moment (`BlobLeases`).
 */
import type { Readable } from 'node:stream';
import { NotFoundError } from '../../errors.js';
import type { Descriptor } from '../../image/descriptor.js';
import type { StoredImage } from '../../image/image-store.js';
import { layerCompression } from '../../image/media-types.js';
import { decompress } from './decompress.js';
import type { ImageContext } from './image-context.js';

/** Digests some operation is reading or writing now: not to be dropped under it. */
export class BlobLeases {
  private readonly held = new Map<string, number>();

  /** Holds `digests` until the returned release is called (once). */
  hold(digests: Iterable<string>): () => void {
    const mine = [...digests];
    for (const d of mine) this.held.set(d, (this.held.get(d) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const d of mine) {
        const n = (this.held.get(d) ?? 1) - 1;
        if (n <= 0) this.held.delete(d);
        else this.held.set(d, n);
      }
    };
  }

  isHeld(digest: string): boolean {
    return this.held.has(digest);
  }
}

/**
 * Drops the blobs of `img`'s layers that every image listing them can rebuild. Called once the
 * pull's own lease is released. Returns the bytes freed.
 */
export async function dropRebuildableBlobs(ctx: ImageContext, img: StoredImage): Promise<number> {
  let freed = 0;
  for (const l of new Set(img.layers.map((x) => x.digest))) {
    if (ctx.leases.isHeld(l)) continue;
    const info = await ctx.content.stat(l);
    if (!info) continue;
    if (!(await everyUserCanRebuild(ctx, l))) continue;
    // Checked again after the awaits: a pull may have started using it meanwhile.
    if (ctx.leases.isHeld(l)) continue;
    await ctx.content.delete(l);
    freed += info.size;
  }
  return freed;
}

async function everyUserCanRebuild(ctx: ImageContext, digest: string): Promise<boolean> {
  for (const other of ctx.store.all()) {
    for (let i = 0; i < other.layers.length; i++) {
      if (other.layers[i]?.digest !== digest) continue;
      const chainId = other.chainIds[i];
      if (!chainId || !(await ctx.snapshots.canRebuild(chainId))) return false;
    }
  }
  return true;
}

/**
 * Layer `i` of `img` as an uncompressed tar: its blob decompressed when the store has it, else
 * rebuilt from its snapshot. The caller holds a lease on the blob.
 */
export async function layerTar(ctx: ImageContext, img: StoredImage, i: number): Promise<Readable> {
  const l: Descriptor | undefined = img.layers[i];
  const diffId = img.diffIds[i];
  const chainId = img.chainIds[i];
  if (!l || !diffId || !chainId)
    throw new NotFoundError(`layer ${String(i)} of ${img.id} is missing`);
  if (await ctx.content.stat(l.digest))
    return decompress(
      await ctx.content.open(l.digest),
      layerCompression(l.mediaType) ?? 'gzip',
      ctx.zstd,
    );
  const rebuilt = await ctx.snapshots.layerTar(chainId, diffId);
  if (!rebuilt)
    throw new NotFoundError(
      `layer ${diffId} of image ${img.id} has neither its blob nor a record to rebuild it: pull the image again`,
    );
  return rebuilt;
}
