/** GET /system/df: images, containers and volumes with their sizes. */
import type { ContainerService } from '../../daemon/containers/container-service.js';
import type { ImageService } from '../../daemon/images/image-service.js';
import type { BuildService } from '../../build/build-service.js';
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
    const layers = new Map<string, number>();
    const images = [];
    for (const u of usage) {
      const config = await s.images.configOf(u.image.id);
      u.image.chainIds.forEach((c, i) => layers.set(c, u.image.layers[i]?.size ?? 0));
      images.push({
        ...imageSummaryJson(u.image, config, u.tags, u.digests, u.containers, {
          legacySize: false,
        }),
        SharedSize: 0,
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
    const layersSize = usage.reduce((n, u) => n + u.image.size, 0);
    return json({
      LayersSize: layersSize,
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
