/** What the image operations share, built once by the composition root. */
import type { ContentStore } from '../../content/content-store.js';
import type { ImageStore } from '../../image/image-store.js';
import type { Logger } from '../../log.js';
import type { RegistryHosts } from '../../registry/registry-hosts.js';
import type { SnapshotDriver } from '../../snapshot/snapshotter.js';
import type { KeyLock } from '../../store/key-lock.js';
import type { EventBus } from '../events/event-bus.js';
import type { BlobLeases } from './layer-blobs.js';

export interface ImageContext {
  readonly content: ContentStore;
  readonly store: ImageStore;
  readonly snapshots: SnapshotDriver;
  readonly hosts: RegistryHosts;
  readonly events: EventBus;
  readonly log: Logger;
  /** Go architecture name of the host (amd64, arm64...). */
  readonly arch: string;
  readonly zstd?: string;
  readonly maxConcurrentDownloads: number;
  readonly maxConcurrentUploads: number;
  readonly locks: KeyLock;
  /** Layer blobs in use by a pull, push or save: not dropped under them (layer-blobs.ts). */
  readonly leases: BlobLeases;
  /** Who uses an image (containers), injected once containers exist. */
  containersUsing: (imageId: string) => { id: string; running: boolean }[];
}

export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
export const LAYER_SIZE_LABEL = 'skiff.layer.size';
