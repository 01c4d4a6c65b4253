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

export async function unpackLayer(
  snapshots: SnapshotDriver,
  tar: Readable,
  o: { chainId: string; parent?: string; diffId: string; signal?: AbortSignal },
): Promise<number> {
  const key = `${EXTRACT_PREFIX}${randomBytes(6).toString('hex')}-${o.chainId}`;
  await snapshots.prepare(key, o.parent);
  try {
    const r = await snapshots.apply(key, tar, o.signal);
    if (r.diffId !== o.diffId)
      throw new InvalidArgumentError(
        `layer content does not match the image config: DiffID ${r.diffId}, expected ${o.diffId}`,
      );
    if (await snapshots.stat(o.chainId)) {
      // Another pull committed the same layer meanwhile.
      await snapshots.remove(key);
      return r.size;
    }
    await snapshots.commit(o.chainId, key, { [LAYER_SIZE_LABEL]: String(r.size) });
    return r.size;
  } catch (e) {
    await snapshots.remove(key).catch(() => undefined);
    throw e;
  }
}

/** Removes extract snapshots left by an interrupted pull, load or commit. */
export async function removeStaleExtracts(snapshots: SnapshotDriver): Promise<number> {
  let n = 0;
  for (const s of await snapshots.list()) {
    if (s.kind === 'active' && s.key.startsWith(EXTRACT_PREFIX)) {
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
