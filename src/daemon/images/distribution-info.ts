/**
 * `GET /distribution/{name}/json` (`docker buildx imagetools`, `docker manifest`, compose's
 * pull policy): what the registry holds for a reference, asked of the registry with the client's
 * credentials — never answered from local images.
 *
 * As dockerd (moby api/server/router/distribution/distribution_routes.go): the descriptor of the
 * manifest the tag (or digest) resolves to, and its platforms — every platform an index lists,
 * or for a single manifest the platform its config blob names (none when the config cannot be
 * read: dockerd ignores that error too).
 */
import { createHash } from 'node:crypto';
import { NotFoundError } from '../../errors.js';
import { parseManifestOrIndex, type Platform } from '../../image/descriptor.js';
import { MANIFEST_ACCEPT } from '../../image/media-types.js';
import type { ImageReference } from '../../image/reference.js';
import type { Credentials } from '../../registry/credentials.js';
import { readBody } from '../../registry/http-request.js';
import { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryHosts } from '../../registry/registry-hosts.js';

/** An image config is small; a bigger "config" is not one we describe. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export interface DistributionInfo {
  readonly descriptor: {
    readonly mediaType: string;
    readonly digest: string;
    readonly size: number;
  };
  readonly platforms: readonly Platform[];
}

export async function distributionInfo(
  hosts: RegistryHosts,
  ref: ImageReference,
  creds: Credentials | undefined,
): Promise<DistributionInfo> {
  const client = new RegistryClient(hosts, ref.domain, ref.path, creds, ['pull'], 'registry');
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  const got = await client.manifest(wanted, MANIFEST_ACCEPT);
  // dockerd passes the registry's error on: "manifest unknown: manifest unknown", a 404.
  if (!got) throw new NotFoundError('manifest unknown: manifest unknown');
  const digest = got.digest ?? `sha256:${createHash('sha256').update(got.bytes).digest('hex')}`;
  const parsed = parseManifestOrIndex(got.bytes, got.mediaType);
  const descriptor = {
    mediaType: got.mediaType || parsed.mediaType,
    digest,
    size: got.bytes.length,
  };
  if (parsed.kind === 'index')
    return {
      descriptor,
      platforms: parsed.manifests.flatMap((m) => (m.platform ? [m.platform] : [])),
    };
  const platform = await configPlatform(client, parsed.config.digest).catch(() => undefined);
  return { descriptor, platforms: platform ? [platform] : [] };
}

/** The platform fields of an image config blob, if it has any. */
async function configPlatform(
  client: RegistryClient,
  digest: string,
): Promise<Platform | undefined> {
  const { body } = await client.blob(digest);
  const o: unknown = JSON.parse((await readBody(body, MAX_CONFIG_BYTES)).toString('utf8'));
  if (typeof o !== 'object' || o === null) return undefined;
  const c = o as Record<string, unknown>;
  const architecture = typeof c['architecture'] === 'string' ? c['architecture'] : '';
  const os = typeof c['os'] === 'string' ? c['os'] : '';
  if (architecture === '' && os === '') return undefined;
  const variant = typeof c['variant'] === 'string' && c['variant'] !== '' ? c['variant'] : '';
  return { architecture, os, ...(variant ? { variant } : {}) };
}
