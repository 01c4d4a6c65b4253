/** Media types of Docker's and OCI's image formats (image-spec media-types.md). */
export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

export const MANIFEST_ACCEPT = [
  MT.ociIndex,
  MT.dockerManifestList,
  MT.ociManifest,
  MT.dockerManifest,
].join(', ');

export type Compression = 'gzip' | 'zstd' | 'none';

/** How a layer blob is compressed, from its media type. */
export function layerCompression(mediaType: string): Compression | undefined {
  if (
    mediaType === MT.dockerLayerGzip ||
    mediaType === MT.dockerLayerForeign ||
    mediaType.endsWith('+gzip')
  )
    return 'gzip';
  if (mediaType.endsWith('+zstd')) return 'zstd';
  if (mediaType === MT.ociLayer || mediaType.endsWith('.tar')) return 'none';
  return undefined;
}

export const isIndex = (mt: string): boolean => mt === MT.ociIndex || mt === MT.dockerManifestList;
export const isManifest = (mt: string): boolean =>
  mt === MT.ociManifest || mt === MT.dockerManifest;
