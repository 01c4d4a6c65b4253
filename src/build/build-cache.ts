/**
 * The classic builder's cache: every step's result is an image whose parent is the image the
 * step ran on, stamped with a key of what the step did (its history text, which holds the
 * command, the build args it saw and, for COPY/ADD, the sources' checksum, plus the config it
 * ran with). A step is a hit when an image with that parent and key exists. `cachefrom` images
 * (pulled, so without parents here) match by history instead: the step's history text at the
 * same position, on the same layers.
 */
import { createHash } from 'node:crypto';
import type { HistoryEntry, ImageConfig, ImageRuntimeConfig } from '../image/image-config.js';
import { runtimeConfigJson } from '../image/image-config.js';
import type { StoredImage } from '../image/image-store.js';

export function stepKey(
  parentId: string,
  createdBy: string,
  runConfig: ImageRuntimeConfig,
): string {
  return `sha256:${createHash('sha256')
    .update(`${parentId}\0${createdBy}\0${JSON.stringify(runtimeConfigJson(runConfig))}`)
    .digest('hex')}`;
}

export interface CacheSource {
  readonly image: StoredImage;
  readonly config: ImageConfig;
}

export class BuildCache {
  constructor(
    private readonly images: () => readonly StoredImage[],
    /** `cachefrom` images with their configs. */
    private readonly sources: readonly CacheSource[],
  ) {}

  /** The image a previous build made for this step, if any. */
  find(parentId: string, key: string): StoredImage | undefined {
    let best: StoredImage | undefined;
    for (const img of this.images()) {
      if (img.buildKey !== key || (img.parent ?? '') !== parentId) continue;
      if (!best || img.created > best.created) best = img;
    }
    return best;
  }

  /**
   * A `cachefrom` image whose history continues the parent's with this step: the parent's
   * layers are its first layers and its next history entry was written by the same step.
   * Returns that image's history entry and, when the step made a layer, the layer's index.
   */
  fromSources(
    parent: { image?: StoredImage; config?: ImageConfig },
    createdBy: string,
  ): { source: CacheSource; entry: HistoryEntry; layerIndex?: number } | undefined {
    const parentHistory = parent.config?.history ?? [];
    const parentDiffs = parent.image?.diffIds ?? [];
    for (const s of this.sources) {
      const h = s.config.history;
      if (h.length <= parentHistory.length) continue;
      if (!parentHistory.every((e, i) => h[i]?.createdBy === e.createdBy)) continue;
      if (!parentDiffs.every((d, i) => s.image.diffIds[i] === d)) continue;
      const entry = h[parentHistory.length];
      if (entry?.createdBy !== createdBy) continue;
      return entry.emptyLayer
        ? { source: s, entry }
        : { source: s, entry, layerIndex: parentDiffs.length };
    }
    return undefined;
  }
}
