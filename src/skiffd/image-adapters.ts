/** The image service seen from the containers side (ImageResolver, ImageCommitter). */
import type { ImageService } from '../daemon/images/image-service.js';
import type { ImageResolver } from '../daemon/containers/dependencies.js';
import type { ImageCommitter } from '../daemon/containers/commit-container.js';

export function imageResolver(images: ImageService): ImageResolver {
  return {
    resolve: async (ref) => {
      const d = await images.details(ref);
      const c = d.config.config;
      return {
        id: d.image.id,
        chainIds: d.image.chainIds,
        size: d.image.size,
        ...(d.config.os && d.config.architecture
          ? {
              platform: {
                os: d.config.os,
                architecture: d.config.architecture,
                ...(d.config.variant ? { variant: d.config.variant } : {}),
              },
            }
          : {}),
        config: {
          env: c.env,
          ...(c.cmd ? { cmd: c.cmd } : {}),
          ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
          workingDir: c.workingDir,
          user: c.user,
          volumes: c.volumes,
          exposedPorts: c.exposedPorts,
          labels: c.labels,
          ...(c.stopSignal ? { stopSignal: c.stopSignal } : {}),
          ...(c.healthcheck ? { healthcheck: c.healthcheck } : {}),
          ...(c.shell ? { shell: c.shell } : {}),
        },
      };
    },
  };
}

export function imageCommitter(images: ImageService): ImageCommitter {
  return {
    commit: async (o) => {
      const img = await images.commit({
        parentImageId: o.parentImageId,
        layer: o.layer,
        config: {
          user: o.config.user,
          exposedPorts: o.config.exposedPorts,
          env: o.config.env,
          ...(o.config.entrypoint.length > 0 ? { entrypoint: o.config.entrypoint } : {}),
          ...(o.config.cmd.length > 0 ? { cmd: o.config.cmd } : {}),
          volumes: o.config.volumes,
          workingDir: o.config.workingDir,
          labels: o.config.labels,
          ...(o.config.stopSignal ? { stopSignal: o.config.stopSignal } : {}),
          ...(o.config.healthcheck ? { healthcheck: o.config.healthcheck } : {}),
          ...(o.config.shell ? { shell: o.config.shell } : {}),
        },
        changes: o.changes,
        comment: o.comment,
        author: o.author,
        createdBy: `skiff commit ${o.containerId.slice(0, 12)}`,
        ...(o.repoTag ? { repoTag: o.repoTag } : {}),
      });
      return { id: img.id };
    },
  };
}
