/** GET /system/df: images, containers and volumes with their sizes. */
import type { ContainerService } from '../../daemon/containers/container-service.js';
import type { ImageService } from '../../daemon/images/image-service.js';
import type { BuildService } from '../../build/build-service.js';
import { layerSize } from '../../daemon/images/unpack-layer.js';
import type { VolumeService } from '../../daemon/volumes/volume-service.js';
import { json } from '../reply.js';
import type { Router } from '../router.js';
import { summaryJson } from '../wire/container-json.js';
import { imageSummaryJson } from '../wire/image-json.js';
import { quirks } from '../version.js';
import { volumeJson } from './volumes.js';

export interface SystemDfServices {
  readonly images: ImageService;
  readonly builds: BuildService;
  readonly containers: ContainerService;
  readonly volumes: VolumeService;
}

export function systemDfRoutes<S extends SystemDfServices>(r: Router<S>): void {
  r.on('GET', '/system/df', async (ctx, s) => {
    const cache = await s.builds.cacheRecords();
    const cacheIds = new Set(cache.map((c) => c.id));
    // A build's intermediate images count as its cache, not twice as images.
    const usage = (await s.images.diskUsage()).filter((u) => !cacheIds.has(u.image.id));
    const layerSizes = new Map<string, number>();
    for (const c of new Set(usage.flatMap((u) => u.image.chainIds)))
      layerSizes.set(c, await layerSize(s.images.ctx.snapshots, c));
    const shared = sharedLayers(
      usage.map((u) => ({ id: u.image.id, chainIds: u.image.chainIds })),
      layerSizes,
    );
    const images = [];
    for (const u of usage) {
      const config = await s.images.configOf(u.image.id);
      images.push({
        ...imageSummaryJson(u.image, config, u.tags, u.digests, u.containers, {
          legacySize: false,
        }),
        SharedSize: shared.sharedSize.get(u.image.id) ?? 0,
      });
    }
    const net = quirks(ctx.version).defaultNetworkModeName;
    const containers = await Promise.all(
      s.containers.list().map(async (c) => {
        const size = await s.containers.sizes(c.id);
        return summaryJson(c, {
          sizeRw: size.rw,
          sizeRootFs: size.rootFs,
          defaultNetworkName: net,
        });
      }),
    );
    const volumes = await Promise.all(
      s.volumes.list().map(async (v) => volumeJson(v, await s.volumes.usage(v.name))),
    );
    return json({
      LayersSize: shared.layersSize,
      Images: images,
      Containers: containers,
      Volumes: volumes,
      BuildCache: cache.map((c) => ({
        ID: c.id.replace(/^sha256:/, ''),
        Parents: c.parent ? [c.parent.replace(/^sha256:/, '')] : null,
        Parent: c.parent.replace(/^sha256:/, ''),
        Type: 'regular',
        Description: c.description,
        InUse: c.inUse,
        Shared: false,
        Size: c.size,
        CreatedAt: c.createdAt,
        LastUsedAt: c.createdAt,
        UsageCount: 1,
      })),
      BuilderSize: cache.reduce((n, c) => n + c.size, 0),
    });
  });
}

/**
 * Layer accounting as dockerd's `system df` (moby daemon/images/image_list.go with SharedSize,
 * daemon/disk_usage.go): LayersSize counts every layer once however many images use it; an
 * image's SharedSize is the size of its layers that at least one other image uses too. Layers
 * are chain ids, so the same diff on another base is another layer, as in dockerd's layer store.
 */
export function sharedLayers(
  images: readonly { readonly id: string; readonly chainIds: readonly string[] }[],
  sizes: ReadonlyMap<string, number>,
): { layersSize: number; sharedSize: Map<string, number> } {
  const users = new Map<string, number>();
  for (const img of images)
    for (const c of new Set(img.chainIds)) users.set(c, (users.get(c) ?? 0) + 1);
  let layersSize = 0;
  for (const c of users.keys()) layersSize += sizes.get(c) ?? 0;
  const sharedSize = new Map<string, number>();
  for (const img of images) {
    let n = 0;
    for (const c of new Set(img.chainIds)) if ((users.get(c) ?? 0) > 1) n += sizes.get(c) ?? 0;
    sharedSize.set(img.id, n);
  }
  return { layersSize, sharedSize };
}
