/**
 * One layer into its snapshot: prepare an `extract-*` snapshot on the parent chain id, apply
 * the decompressed tar, check the DiffID against the image config, commit it under its chain id.
 * A failure (or a kill) leaves only the `extract-*` snapshot, removed on the next start.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import type { SnapshotDriver } from '../../snapshot/snapshotter.js';
import { LAYER_SIZE_LABEL } from './image-context.js';

export const EXTRACT_PREFIX = 'extract-';

export interface LayerTarget {
  readonly chainId: string;
  readonly parent?: string;
  readonly diffId: string;
  readonly signal?: AbortSignal;
}

export async function unpackLayer(
  snapshots: SnapshotDriver,
  tar: Readable,
  o: LayerTarget,
): Promise<number> {
  const extracted = await extractLayer(snapshots, tar, o, o.parent);
  await commitLayer(snapshots, extracted, o, false);
  return extracted.size;
}

export interface ExtractedLayer {
  readonly key: string;
  readonly size: number;
}

/**
 * Applies the tar into a new `extract-*` snapshot on `base` (the layer's parent, or nothing
 * where the driver has independent layers) and checks its DiffID. On failure the snapshot is gone.
 */
export async function extractLayer(
  snapshots: SnapshotDriver,
  tar: Readable,
  o: LayerTarget,
  base: string | undefined,
  /** `tar` is still gzip-compressed: the driver inflates it. */
  compression?: 'gzip',
): Promise<ExtractedLayer> {
  const key = `${EXTRACT_PREFIX}${randomBytes(6).toString('hex')}-${o.chainId}`;
  // apply() listens only once the snapshot is prepared; a producer that fails before that (a
  // download refused at its first bytes) must not emit an 'error' nobody hears, an uncaught
  // exception. apply() still fails with that error: it stays in the stream's state.
  tar.on('error', () => undefined);
  try {
    await snapshots.prepare(key, base);
  } catch (e) {
    // Never read: its producers (a zstd child, a download's tee) must not wait on it.
    tar.destroy();
    throw e;
  }
  try {
    const r = await snapshots.apply(key, tar, {
      ...(o.signal ? { signal: o.signal } : {}),
      ...(compression ? { compression } : {}),
    });
    if (r.diffId !== o.diffId) throw diffIdMismatch(r.diffId, o.diffId);
    return { key, size: r.size };
  } catch (e) {
    // apply() may fail before or without consuming all of it (ENOSPC, a refused entry).
    tar.destroy();
    await snapshots.remove(key).catch(() => undefined);
    throw e;
  }
}

export function diffIdMismatch(got: string, expected: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `layer content does not match the image config: DiffID ${got}, expected ${expected}`,
  );
}

/**
 * Commits an extracted layer under its chain id — with its parent given now when it was
 * extracted without one (`reparent`). Another pull may have committed the same layer meanwhile:
 * then this copy goes.
 */
export async function commitLayer(
  snapshots: SnapshotDriver,
  layer: ExtractedLayer,
  o: LayerTarget,
  reparent: boolean,
): Promise<void> {
  try {
    if (await snapshots.stat(o.chainId)) {
      await snapshots.remove(layer.key);
      return;
    }
    await snapshots.commit(
      o.chainId,
      layer.key,
      { [LAYER_SIZE_LABEL]: String(layer.size) },
      reparent ? o.parent : undefined,
    );
  } catch (e) {
    await snapshots.remove(layer.key).catch(() => undefined);
    throw e;
  }
}

/** Removes extract snapshots (and a build's views) left by an interrupted pull, load, commit or build. */
export async function removeStaleExtracts(snapshots: SnapshotDriver): Promise<number> {
  let n = 0;
  for (const s of await snapshots.list()) {
    if (s.kind !== 'committed' && s.key.startsWith(EXTRACT_PREFIX)) {
      await snapshots.remove(s.key).catch(() => undefined);
      n++;
    }
  }
  return n;
}

export async function layerSize(snapshots: SnapshotDriver, chainId: string): Promise<number> {
  const info = await snapshots.stat(chainId);
  return Number(info?.labels[LAYER_SIZE_LABEL] ?? 0);
}
