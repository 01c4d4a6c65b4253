/**
 * `docker pull`: resolve the reference (index → this platform's manifest), fetch the config,
 * download the layers concurrently into the content store (verified against their digests),
 * unpack them in order into snapshots, record the image, tag it. Layers already unpacked are
 * neither fetched nor unpacked again.
 */
import { pipeline } from 'node:stream/promises';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import { chainIds as computeChainIds } from '../../image/chain-id.js';
import {
  parseManifestOrIndex,
  type Descriptor,
  type ImageManifest,
} from '../../image/descriptor.js';
import { parseImageConfig } from '../../image/image-config.js';
import { layerCompression, MANIFEST_ACCEPT } from '../../image/media-types.js';
import {
  formatPlatform,
  hostPlatform,
  parsePlatform,
  selectManifest,
} from '../../image/platform.js';
import {
  canonical,
  familiar,
  familiarRepository,
  type ImageReference,
} from '../../image/reference.js';
import type { Credentials } from '../../registry/credentials.js';
import { RegistryClient } from '../../registry/registry-client.js';
import { decompress } from './decompress.js';
import { MAX_CONFIG_BYTES, type ImageContext } from './image-context.js';
import { shortDigest, type ProgressSink } from './progress.js';
import { Semaphore } from './semaphore.js';
import { dropRebuildableBlobs } from './layer-blobs.js';
import type { StoredImage } from '../../image/image-store.js';
import {
  commitLayer,
  extractLayer,
  layerSize,
  type ExtractedLayer,
  type LayerTarget,
} from './unpack-layer.js';
import { MissingLinkTargetError } from '../../snapshot/apply-layer.js';
import { createHash } from 'node:crypto';
import { blobTooLarge } from '../../content/content-store.js';

export interface PullRequest {
  readonly ref: ImageReference;
  readonly platform?: string;
  readonly creds?: Credentials;
  readonly signal?: AbortSignal;
}

export async function pullImage(
  ctx: ImageContext,
  req: PullRequest,
  progress: ProgressSink,
): Promise<{ id: string; upToDate: boolean }> {
  const ref = req.ref;
  const client = new RegistryClient(ctx.hosts, ref.domain, ref.path, req.creds, ['pull']);
  const wanted = ref.digest ?? ref.tag ?? 'latest';
  let got = await client.manifest(wanted, MANIFEST_ACCEPT);
  if (!got)
    throw new NotFoundError(
      `manifest for ${familiar(ref)} not found: manifest unknown: manifest unknown`,
    );
  progress({
    status: `Pulling from ${familiarRepository(ref)}`,
    id: ref.digest ?? ref.tag ?? 'latest',
  });
  let digest = sha(got.bytes);
  if (ref.digest && digest !== ref.digest)
    throw new InvalidArgumentError(
      `manifest digest mismatch: expected ${ref.digest}, got ${digest}`,
    );
  let parsed = parseManifestOrIndex(got.bytes, got.mediaType);
  const repoDigest = digest;
  if (parsed.kind === 'index') {
    await ctx.content.put(got.bytes, digest);
    const want = req.platform ? parsePlatform(req.platform) : hostPlatform(ctx.arch);
    const chosen = selectManifest(parsed.manifests, want);
    if (!chosen)
      throw new NotFoundError(
        `no matching manifest for ${formatPlatform(want)} in the manifest list entries`,
      );
    got = await client.manifest(chosen.digest, MANIFEST_ACCEPT);
    if (!got) throw new NotFoundError(`manifest ${chosen.digest} of ${familiar(ref)} not found`);
    digest = sha(got.bytes);
    if (digest !== chosen.digest)
      throw new InvalidArgumentError(
        `manifest digest mismatch: expected ${chosen.digest}, got ${digest}`,
      );
    parsed = parseManifestOrIndex(got.bytes, got.mediaType);
    if (parsed.kind !== 'manifest')
      throw new InvalidArgumentError('an index points to another index; not supported');
  }
  const manifest: ImageManifest = parsed;
  const configBytes = await fetchConfig(ctx, client, manifest.config);
  const config = parseImageConfig(configBytes);
  if (config.diffIds.length !== manifest.layers.length)
    throw new InvalidArgumentError(
      `image config has ${config.diffIds.length} layers but the manifest ${manifest.layers.length}`,
    );
  if (req.platform) {
    const want = parsePlatform(req.platform);
    if (config.architecture && config.architecture !== want.architecture)
      throw new NotFoundError(
        `image with reference ${familiar(ref)} was found but its platform (${config.os}/${config.architecture}) does not match the specified platform (${formatPlatform(want)})`,
      );
  }
  const id = manifest.config.digest;
  const chainIds = computeChainIds(config.diffIds);
  const existing = ctx.store.get(id);
  const release = ctx.leases.hold(manifest.layers.map((l) => l.digest));
  let stored: StoredImage | undefined;
  try {
    const sizes = await unpackAll(
      ctx,
      client,
      manifest.layers,
      config.diffIds,
      chainIds,
      progress,
      req.signal,
    );
    await ctx.content.put(got.bytes, digest);
    stored = existing ?? {
      id,
      layers: manifest.layers,
      diffIds: config.diffIds,
      chainIds,
      size: sizes.reduce((a, b) => a + b, 0),
      created: config.created ?? new Date(0).toISOString(),
      manifestDigest: digest,
      manifestMediaType: manifest.mediaType,
      addedAt: new Date().toISOString(),
    };
    if (!existing) await ctx.store.put(stored);
  } finally {
    release();
  }
  // The layers are unpacked and recorded: blobs their snapshots can rebuild are dead weight.
  const freed = await dropRebuildableBlobs(ctx, stored);
  if (freed > 0)
    ctx.log.debug({ image: id, freed }, 'dropped layer blobs the snapshots can rebuild');
  const previous = ref.tag ? await ctx.store.tag(ref, id) : undefined;
  await ctx.store.addDigest(ref, repoDigest, id);
  progress({ status: `Digest: ${repoDigest}` });
  const upToDate = existing !== undefined && previous === undefined;
  progress({
    status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiar(ref)}`,
  });
  ctx.events.publish('image', 'pull', familiar(ref), { name: canonical(ref) });
  return { id, upToDate };
}

function sha(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function fetchConfig(
  ctx: ImageContext,
  client: RegistryClient,
  d: Descriptor,
): Promise<Buffer> {
  if (await ctx.content.stat(d.digest)) return ctx.content.readAll(d.digest, MAX_CONFIG_BYTES);
  if (d.size > MAX_CONFIG_BYTES)
    throw new InvalidArgumentError(`image config of ${d.size} bytes is too large`);
  const { body } = await client.blob(d.digest);
  const w = await ctx.content.writer(d);
  try {
    await pipeline(body, w.stream);
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.commit(d.size, d.digest);
  return ctx.content.readAll(d.digest, MAX_CONFIG_BYTES);
}

/**
 * Downloads run concurrently (max-concurrent-downloads); unpacking runs in layer order, each
 * layer as soon as it is downloaded and its parent committed. Returns the uncompressed sizes.
 */
async function unpackAll(
  ctx: ImageContext,
  client: RegistryClient,
  layers: readonly Descriptor[],
  diffIds: readonly string[],
  chainIds: readonly string[],
  progress: ProgressSink,
  signal?: AbortSignal,
): Promise<number[]> {
  const present = await Promise.all(
    chainIds.map(async (c) => (await ctx.snapshots.stat(c))?.kind === 'committed'),
  );
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (!l) continue;
    progress({
      id: shortDigest(l.digest),
      status: present[i] ? 'Already exists' : 'Pulling fs layer',
      ...(present[i] ? {} : { progressDetail: { current: 0 } }),
    });
  }
  const sem = new Semaphore(ctx.maxConcurrentDownloads);
  // When one layer fails (a full disk, a bad blob), the others stop too, and the pull reports
  // only once nothing of it is still writing: no ingest file or extract snapshot outlives it.
  const stop = new AbortController();
  const sig = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  // Where a layer's snapshot holds only its own changes, each layer is unpacked while it
  // downloads, side by side with the others (file creation is most of a pull's time and spreads
  // over the cores); commits still go in chain order. Elsewhere (vfs) layers download
  // concurrently and unpack one after the other on their parent.
  const independent = ctx.snapshots.independentLayers;
  // Independent layers download inside streamExtract below.
  const downloads = layers.map((l, i) =>
    present[i] || independent ? undefined : sem.run(() => download(ctx, client, l, progress, sig)),
  );
  for (const p of downloads) p?.catch(() => undefined);
  const target = (i: number): LayerTarget => {
    const parent = i > 0 ? chainIds[i - 1] : undefined;
    return {
      chainId: chainIds[i] ?? '',
      diffId: diffIds[i] ?? '',
      ...(parent ? { parent } : {}),
      signal: sig,
    };
  };
  // gzip goes to the snapshot driver as it is: skiff-untar inflates it in its own process.
  const extractBlob = (
    l: Descriptor,
    blob: Readable,
    i: number,
    base: string | undefined,
  ): Promise<ExtractedLayer> => {
    const c = layerCompression(l.mediaType) ?? 'gzip';
    if (c === 'gzip') return extractLayer(ctx.snapshots, blob, target(i), base, 'gzip');
    return extractLayer(ctx.snapshots, decompress(blob, c, ctx.zstd), target(i), base);
  };
  const extractFromStore = async (i: number, base: string | undefined): Promise<ExtractedLayer> => {
    const l = layers[i];
    if (!l) throw new InvalidArgumentError(`layer ${i} is missing`);
    const blob = await ctx.content.open(l.digest);
    let read = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        read += chunk.length;
        progress({
          id: shortDigest(l.digest),
          status: 'Extracting',
          progressDetail: { current: read, total: l.size },
        });
        cb(null, chunk);
      },
    });
    // A read error (EIO) reaches the extraction through the counter.
    pipeline(blob, counter).catch(() => undefined);
    try {
      return await extractBlob(l, counter, i, base);
    } finally {
      // An extraction that stopped early leaves the file open otherwise.
      blob.destroy();
    }
  };
  const streamExtract = (i: number, l: Descriptor): Promise<ExtractedLayer> =>
    sem.run(async () => {
      let streamed: Promise<ExtractedLayer> | undefined;
      try {
        await download(ctx, client, l, progress, sig, (blob) => {
          streamed = extractBlob(l, blob, i, undefined);
          // A layer refused half way must not stall its download: the rest is drained. Unpiped
          // here too, as the decompressor's own unpipe may come after this resume and pause it.
          streamed.catch(() => {
            blob.unpipe();
            blob.resume();
          });
        });
      } catch (e) {
        // The blob failed verification: whatever was unpacked from it goes.
        const half = await streamed?.catch(() => undefined);
        if (half) await ctx.snapshots.remove(half.key).catch(() => undefined);
        throw e;
      }
      if (!streamed) return extractFromStore(i, undefined);
      progress({ id: shortDigest(l.digest), status: 'Extracting', progressDetail: {} });
      return streamed;
    });
  const early = layers.map((l, i) => {
    if (!independent || present[i]) return undefined;
    const p = streamExtract(i, l);
    p.catch(() => undefined);
    return p;
  });
  const sizes: number[] = [];
  try {
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      const chainId = chainIds[i];
      if (!l || !chainId) continue;
      const pre = early[i];
      if (present[i] || (!pre && (await ctx.snapshots.stat(chainId))?.kind === 'committed')) {
        sizes.push(await layerSize(ctx.snapshots, chainId));
        continue;
      }
      let layer: ExtractedLayer;
      let reparent = false;
      if (pre) {
        try {
          layer = await pre;
          reparent = true;
        } catch (e) {
          // It links to a file of a lower layer: apply it again with the parent in place.
          if (!(e instanceof MissingLinkTargetError)) throw e;
          layer = await extractFromStore(i, target(i).parent);
        }
      } else {
        await downloads[i];
        layer = await extractFromStore(i, target(i).parent);
      }
      await commitLayer(ctx.snapshots, layer, target(i), reparent);
      sizes.push(layer.size);
      progress({ id: shortDigest(l.digest), status: 'Pull complete', progressDetail: {} });
    }
  } catch (e) {
    stop.abort();
    await Promise.all(downloads.flatMap((p) => (p ? [p.catch(() => undefined)] : [])));
    // Layers extracted ahead must not stay behind as active snapshots.
    await Promise.all(
      early.map(async (p) => {
        const done = await p?.catch(() => undefined);
        if (done && (await ctx.snapshots.stat(done.key)))
          await ctx.snapshots.remove(done.key).catch(() => undefined);
      }),
    );
    throw e;
  }
  return sizes;
}

async function download(
  ctx: ImageContext,
  client: RegistryClient,
  l: Descriptor,
  progress: ProgressSink,
  signal?: AbortSignal,
  /** Receives the blob's bytes as they arrive, to unpack while downloading (not called when the blob is already stored). */
  onStream?: (blob: Readable) => void,
): Promise<void> {
  const id = shortDigest(l.digest);
  if (await ctx.content.stat(l.digest)) {
    progress({ id, status: 'Download complete', progressDetail: {} });
    return;
  }
  if (l.urls && l.urls.length > 0 && !l.mediaType.includes('foreign'))
    ctx.log.debug({ digest: l.digest }, 'layer has urls; fetching from the registry');
  const { body } = await client.blob(l.digest, signal);
  const w = await ctx.content.writer(l);
  let current = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      current += chunk.length;
      // The writer refuses these bytes as well; refused here, they never reach the unpacking.
      if (current > l.size) {
        cb(blobTooLarge(l, current));
        return;
      }
      progress({ id, status: 'Downloading', progressDetail: { current, total: l.size } });
      cb(null, chunk);
    },
  });
  try {
    if (onStream) {
      const tee = new PassThrough();
      counter.on('error', (e) => tee.destroy(e));
      counter.pipe(tee);
      onStream(tee);
    }
    await pipeline(body, counter, w.stream, ...(signal ? [{ signal }] : []));
    progress({ id, status: 'Verifying Checksum', progressDetail: {} });
    await w.commit(l.size, l.digest);
  } catch (e) {
    await w.abort();
    throw e;
  }
  progress({ id, status: 'Download complete', progressDetail: {} });
}
