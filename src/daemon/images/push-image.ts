/**
 * `docker push`: every layer blob the registry lacks (HEAD first: "Layer already exists"),
 * the config, then the manifest under the tag. Progress as the CLI draws it, and the final
 * "<tag>: digest: <digest> size: <n>" line with its aux record.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Descriptor } from '../../image/descriptor.js';
import type { StoredImage } from '../../image/image-store.js';
import { NotFoundError } from '../../errors.js';
import { MT } from '../../image/media-types.js';
import {
  familiar,
  familiarRepository,
  parseReference,
  type ImageReference,
} from '../../image/reference.js';
import type { Credentials } from '../../registry/credentials.js';
import { RegistryClient } from '../../registry/registry-client.js';
import type { ImageContext } from './image-context.js';
import { shortDigest, type ProgressSink } from './progress.js';
import { Semaphore } from './semaphore.js';
import { layerTar } from './layer-blobs.js';

export interface PushResult {
  readonly tag: string;
  readonly digest: string;
  readonly size: number;
}

export async function pushImage(
  ctx: ImageContext,
  ref: ImageReference,
  creds: Credentials | undefined,
  progress: ProgressSink,
): Promise<PushResult> {
  // dockerd says which repository first, then looks for the image (moby distribution/push.go).
  progress({
    status: `The push refers to repository [${ref.domain === 'docker.io' ? `docker.io/${ref.path}` : `${ref.domain}/${ref.path}`}]`,
  });
  const missing = new NotFoundError(
    `An image does not exist locally with the tag: ${familiarRepository(ref)}`,
  );
  let img: StoredImage | undefined;
  try {
    img = ctx.store.get(ctx.store.lookup(familiar(ref)).id);
  } catch (e) {
    if (e instanceof NotFoundError) throw missing;
    throw e;
  }
  if (!img) throw missing;
  const client = new RegistryClient(ctx.hosts, ref.domain, ref.path, creds, ['pull', 'push']);
  for (const l of [...img.layers].reverse())
    progress({ id: shortDigest(l.digest), status: 'Preparing', progressDetail: {} });
  const sem = new Semaphore(ctx.maxConcurrentUploads);
  const image = img;
  const release = ctx.leases.hold(image.layers.map((l) => l.digest));
  const pushed: Descriptor[] = [...image.layers];
  try {
    // Started top layer first, as dockerd's progress shows them.
    const order = image.layers.map((_, i) => i).reverse();
    await Promise.all(
      order.map((i) =>
        sem.run(async () => {
          pushed[i] = await pushLayer(ctx, client, ref, image, i, progress);
        }),
      ),
    );
  } finally {
    release();
  }
  const config = await ctx.content.readAll(img.id, 8 * 1024 * 1024);
  if (!(await client.blobExists(img.id)))
    await client.uploadBlob(img.id, config.length, () => config);
  const stored = img.manifestDigest
    ? await ctx.content.readAll(img.manifestDigest, 4 * 1024 * 1024).catch(() => undefined)
    : undefined;
  // A layer recompressed from its snapshot has a digest of its own: the stored manifest no
  // longer describes what the registry holds, so a new one is made (dockerd does the same).
  const same = pushed.every((d, i) => d.digest === image.layers[i]?.digest);
  const manifest =
    same && stored && img.manifestMediaType
      ? { bytes: stored, mediaType: img.manifestMediaType }
      : makeManifest(img.manifestMediaType, img.id, config.length, pushed);
  const tag = ref.tag ?? 'latest';
  await client.putManifest(tag, manifest.mediaType, manifest.bytes);
  const digest = `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`;
  await ctx.store.addDigest(ref, digest, img.id);
  progress({ status: `${tag}: digest: ${digest} size: ${manifest.bytes.length}` });
  ctx.events.publish('image', 'push', familiar(ref), { name: familiar(ref) });
  return { tag, digest, size: manifest.bytes.length };
}

/**
 * Sends layer `i` unless the registry has it, and says which blob the manifest must name: the
 * pulled one when it is stored, the registry has it, or another repository of the registry
 * can lend it (a cross-repository mount); else the layer's tar recompressed from its snapshot.
 */
async function pushLayer(
  ctx: ImageContext,
  client: RegistryClient,
  ref: ImageReference,
  img: StoredImage,
  i: number,
  progress: ProgressSink,
): Promise<Descriptor> {
  const l = img.layers[i];
  if (!l) throw new NotFoundError(`layer ${String(i)} of ${img.id} is missing`);
  const id = shortDigest(l.digest);
  if (await client.blobExists(l.digest)) {
    progress({ id, status: 'Layer already exists', progressDetail: {} });
    return l;
  }
  progress({ id, status: 'Waiting', progressDetail: {} });
  if (await ctx.content.stat(l.digest)) {
    await uploadStored(ctx, client, l, id, progress);
    return l;
  }
  for (const from of sameRegistryRepositories(ctx, img, ref)) {
    if (await client.mountBlob(l.digest, from).catch(() => false)) {
      progress({ id, status: `Mounted from ${from}`, progressDetail: {} });
      return l;
    }
  }
  const made = await recompressLayer(ctx, img, i);
  try {
    if (await client.blobExists(made.digest))
      progress({ id, status: 'Layer already exists', progressDetail: {} });
    else await uploadStored(ctx, client, made, id, progress);
  } finally {
    await ctx.content.delete(made.digest).catch(() => undefined);
  }
  return made;
}

async function uploadStored(
  ctx: ImageContext,
  client: RegistryClient,
  l: Descriptor,
  id: string,
  progress: ProgressSink,
): Promise<void> {
  let sent = 0;
  await client.uploadBlob(l.digest, l.size, () => {
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        sent += chunk.length;
        progress({ id, status: 'Pushing', progressDetail: { current: sent, total: l.size } });
        cb(null, chunk);
      },
    });
    void ctx.content.open(l.digest).then(
      (s) => s.pipe(counter),
      (e: unknown) => counter.destroy(e instanceof Error ? e : new Error(String(e))),
    );
    return counter;
  });
  progress({ id, status: 'Pushed', progressDetail: {} });
}

/** The repositories of `ref`'s registry this image was pulled from, other than `ref`'s own. */
function sameRegistryRepositories(
  ctx: ImageContext,
  img: StoredImage,
  ref: ImageReference,
): string[] {
  const out = new Set<string>();
  for (const d of ctx.store.digestsOf(img.id)) {
    const r = parseReference(d);
    if (r.domain === ref.domain && r.path !== ref.path) out.add(r.path);
  }
  return [...out];
}

/**
 * Layer `i`'s tar gzipped into a temporary blob of the content store (the caller deletes it).
 * Gzip is deterministic for one zlib and level, so pushing the same layer again gives the same
 * digest and finds it already there.
 */
async function recompressLayer(
  ctx: ImageContext,
  img: StoredImage,
  i: number,
): Promise<Descriptor> {
  const w = await ctx.content.writer();
  try {
    await pipeline(await layerTar(ctx, img, i), createGzip(), w.stream);
  } catch (e) {
    await w.abort();
    throw e;
  }
  const blob = await w.commit(undefined, undefined);
  const oci = img.manifestMediaType === MT.ociManifest;
  return {
    mediaType: oci ? MT.ociLayerGzip : MT.dockerLayerGzip,
    digest: blob.digest,
    size: blob.size,
  };
}

function makeManifest(
  storedMediaType: string | undefined,
  configDigest: string,
  configSize: number,
  layers: readonly Descriptor[],
): { bytes: Buffer; mediaType: string } {
  const oci = storedMediaType === MT.ociManifest;
  const mediaType = oci ? MT.ociManifest : MT.dockerManifest;
  const configType = oci ? MT.ociConfig : MT.dockerConfig;
  return {
    bytes: Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: { mediaType: configType, digest: configDigest, size: configSize },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    ),
    mediaType,
  };
}
