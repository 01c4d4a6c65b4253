/**
 * `docker commit`: the container's writable layer as a new image layer on top of its image,
 * with the container's config (plus overrides and Dockerfile-style `changes`). The container is
 * not paused where the host has no freezer (Rootless Docker fails the commit there; we say so
 * in the log and go on: the layer is read from the snapshot, consistently enough for most uses).
 */
import type { Readable } from 'node:stream';
import type { ContainerConfig } from './container-config.js';
import type { ContainerContext } from './container-context.js';
import { isRuntimeMountPoint } from './runtime-mount-points.js';

export interface CommitConfig {
  readonly env: readonly string[];
  readonly cmd: readonly string[];
  readonly entrypoint: readonly string[];
  readonly workingDir: string;
  readonly user: string;
  readonly exposedPorts: readonly string[];
  readonly volumes: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly stopSignal?: string;
  readonly healthcheck?: ContainerConfig['healthcheck'];
  readonly shell?: readonly string[];
}

/** What the image store provides for commits (adapted by the composition root). */
export interface ImageCommitter {
  commit(o: {
    parentImageId: string;
    layer: Readable;
    config: CommitConfig;
    containerId: string;
    comment: string;
    author: string;
    changes: readonly string[];
    repoTag?: string;
  }): Promise<{ id: string }>;
}

export interface CommitRequest {
  readonly repoTag?: string;
  readonly comment: string;
  readonly author: string;
  readonly changes: readonly string[];
  /** Overrides from the request body's Config. */
  readonly config?: Partial<CommitConfig>;
}

export async function commitContainer(
  ctx: ContainerContext,
  images: ImageCommitter,
  ref: string,
  req: CommitRequest,
): Promise<string> {
  const rec = ctx.store.find(ref);
  const c = rec.config;
  const config: CommitConfig = {
    env: c.env,
    cmd: c.cmd,
    entrypoint: c.entrypoint,
    workingDir: c.workingDir,
    user: c.user,
    exposedPorts: c.exposedPorts,
    volumes: c.volumes,
    labels: c.labels,
    ...(c.stopSignal ? { stopSignal: c.stopSignal } : {}),
    ...(c.healthcheck ? { healthcheck: c.healthcheck } : {}),
    ...(c.shell ? { shell: c.shell } : {}),
    ...req.config,
  };
  const { id } = await images.commit({
    parentImageId: rec.imageId,
    layer: ctx.snapshots.diffTar(rec.id, isRuntimeMountPoint),
    config,
    containerId: rec.id,
    comment: req.comment,
    author: req.author,
    changes: req.changes,
    ...(req.repoTag ? { repoTag: req.repoTag } : {}),
  });
  ctx.events.publish('container', 'commit', rec.id, {
    comment: req.comment,
    image: c.image,
    imageID: id,
    imageRef: req.repoTag ?? '',
    name: rec.name,
  });
  return id;
}
