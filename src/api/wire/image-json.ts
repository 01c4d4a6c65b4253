/** Docker's JSON for images: list summaries, inspect, history. */
import type { ImageDetails } from '../../daemon/images/image-service.js';
import type { ImageConfig } from '../../image/image-config.js';
import { runtimeConfigJson } from '../../image/image-config.js';
import type { StoredImage } from '../../image/image-store.js';

export function imageSummaryJson(
  img: StoredImage,
  config: ImageConfig,
  tags: string[],
  digests: string[],
  containers: number,
  o: { legacySize: boolean },
): Record<string, unknown> {
  return {
    Id: img.id,
    ParentId: img.parent ?? '',
    RepoTags: tags,
    RepoDigests: digests,
    Created: Math.floor(Date.parse(config.created ?? img.created) / 1000) || 0,
    Size: img.size,
    SharedSize: -1,
    ...(o.legacySize ? { VirtualSize: img.size } : {}),
    Labels: Object.keys(config.config.labels).length > 0 ? config.config.labels : null,
    Containers: containers,
  };
}

export function imageInspectJson(
  d: ImageDetails,
  graphDriver: { name: string; data: Record<string, string> },
  o: { legacySize: boolean },
): Record<string, unknown> {
  const c = d.config;
  return {
    Id: d.image.id,
    RepoTags: d.repoTags,
    RepoDigests: d.repoDigests,
    Parent: d.image.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? d.image.created,
    DockerVersion: c.dockerVersion ?? '',
    Author: c.author ?? '',
    Config: runtimeConfigJson(c.config),
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: d.image.size,
    ...(o.legacySize ? { VirtualSize: d.image.size } : {}),
    GraphDriver: { Name: graphDriver.name, Data: graphDriver.data },
    RootFS: { Type: 'layers', Layers: c.diffIds },
    Metadata: { LastTagTime: d.image.addedAt },
  };
}

/**
 * Newest first; entries are named from the top after `chain` (the image, then its parents as
 * far as they are here), the rest "<missing>", as in Docker.
 */
export function historyJson(
  d: ImageDetails,
  layerSizes: readonly number[],
  chain: readonly { readonly id: string; readonly tags: readonly string[] }[] = [
    { id: d.image.id, tags: d.repoTags },
  ],
): Record<string, unknown>[] {
  let layer = d.config.diffIds.length - 1;
  const entries = [...d.config.history].reverse().map((h, i) => {
    const size = h.emptyLayer ? 0 : (layerSizes[layer] ?? 0);
    if (!h.emptyLayer) layer--;
    const named = chain[i];
    return {
      Id: named?.id ?? '<missing>',
      Created: Math.floor(Date.parse(h.created ?? '') / 1000) || 0,
      CreatedBy: h.createdBy ?? '',
      Tags: named && named.tags.length > 0 ? named.tags : null,
      Size: size,
      Comment: h.comment ?? '',
    };
  });
  return entries.length > 0
    ? entries
    : [
        {
          Id: d.image.id,
          Created: 0,
          CreatedBy: '',
          Tags: d.repoTags,
          Size: d.image.size,
          Comment: '',
        },
      ];
}
