/**
 * `docker load`: docker-archive (manifest.json) and OCI image layout (index.json) tars, plain or
 * gzip-compressed. The archive is spread into a temp dir first (its entries come in any order),
 * then each image's layers are verified against the config's DiffIDs while they are unpacked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { InvalidArgumentError, archiveError, messageOf } from '../../errors.js';
import { chainIds as computeChainIds } from '../../image/chain-id.js';
import { parseManifestOrIndex } from '../../image/descriptor.js';
import { parseImageConfig } from '../../image/image-config.js';
import { layerCompression, MT, type Compression } from '../../image/media-types.js';
import { familiar, normalizeTagged } from '../../image/reference.js';
import { normalizeEntryName } from '../../snapshot/layer-paths.js';
import { decompress } from './decompress.js';
import type { ImageContext } from './image-context.js';
import { dropRebuildableBlobs } from './layer-blobs.js';
import { diffIdMismatch, layerSize, unpackLayer } from './unpack-layer.js';

interface ArchiveImage {
  readonly configPath: string;
  readonly layerPaths: readonly { path: string; compression?: Compression }[];
  readonly tags: readonly string[];
}

export async function loadImages(
  ctx: ImageContext,
  input: Readable,
  tmpRoot: string,
  say: (line: string) => void,
): Promise<void> {
  const dir = join(tmpRoot, `load-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await spread(input, dir);
    const images = await describe(dir);
    if (images.length === 0)
      throw new InvalidArgumentError(
        'archive has neither manifest.json nor index.json: not an image archive',
      );
    // Each name once: an archive may list an image (or a tag) in more than one entry.
    const said = new Set<string>();
    const sayOnce = (line: string): void => {
      if (said.has(line)) return;
      said.add(line);
      say(line);
    };
    for (const img of images) await loadOne(ctx, dir, img, sayOnce);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Unpacks the archive's files (gunzipping a compressed archive) into dir, names checked. */
async function spread(input: Readable, dir: string): Promise<void> {
  const head = new PassThrough();
  const sniff = new Promise<boolean>((resolve) => {
    head.once('data', (b: Buffer) => {
      resolve(b[0] === 0x1f && b[1] === 0x8b);
    });
    head.once('end', () => {
      resolve(false);
    });
    head.once('close', () => {
      resolve(false);
    });
  });
  const buffered = new PassThrough();
  // pipe() passes no error on: without this, a client gone before its first byte hangs the load.
  input.once('error', (e) => head.destroy(e));
  input.pipe(head);
  head.pipe(buffered);
  const gz = await sniff;
  const source: Readable = gz ? buffered.pipe(createGunzip()) : buffered;
  const ex = tar.extract();
  const done = pipeline(source, ex as unknown as NodeJS.WritableStream);
  done.catch(() => undefined);
  try {
    for await (const e of ex) {
      const rel = normalizeEntryName(e.header.name);
      if (e.header.type !== 'file' || rel === '') {
        e.resume();
        continue;
      }
      const path = join(dir, rel);
      await mkdir(join(path, '..'), { recursive: true });
      await pipeline(e as unknown as NodeJS.ReadableStream, createWriteStream(path));
    }
    await done;
  } catch (e) {
    throw archiveError(e);
  }
}

/**
 * A file the archive's manifest names: a regular file of the unpacked archive (which holds
 * only regular files and directories, see spread), or the client's mistake, a 400.
 */
async function archiveFile(dir: string, rel: string, what: string): Promise<string> {
  const path = join(dir, rel);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile())
    throw new InvalidArgumentError(`invalid image archive: ${what} "${rel}" is not in the archive`);
  return path;
}

/** manifest.json as `docker save` writes it, checked field by field: it is client input. */
function parseSaveManifest(text: string): ArchiveImage[] {
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(`invalid image archive: manifest.json ${why}`);
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw bad(`is not JSON: ${messageOf(e)}`);
  }
  if (!Array.isArray(list)) throw bad('is not a list');
  return list.map((m: unknown, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw bad(`entry ${i} is not an object`);
    const o = m as Record<string, unknown>;
    if (typeof o['Config'] !== 'string' || o['Config'] === '')
      throw bad(`entry ${i} has no Config path`);
    const layers = o['Layers'] ?? [];
    if (!Array.isArray(layers) || !layers.every((l): l is string => typeof l === 'string'))
      throw bad(`entry ${i}: Layers is not a list of paths`);
    const tags = o['RepoTags'] ?? [];
    if (!Array.isArray(tags) || !tags.every((t): t is string => typeof t === 'string'))
      throw bad(`entry ${i}: RepoTags is not a list of names`);
    return {
      configPath: normalizeEntryName(o['Config']),
      layerPaths: layers.map((p) => ({ path: normalizeEntryName(p) })),
      tags,
    };
  });
}

async function describe(dir: string): Promise<ArchiveImage[]> {
  const manifest = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
  if (manifest !== undefined) return parseSaveManifest(manifest);
  const index = await readFile(join(dir, 'index.json')).catch(() => undefined);
  if (!index) return [];
  const parsed = parseManifestOrIndex(index);
  if (parsed.kind !== 'index') return [];
  const out: ArchiveImage[] = [];
  for (const d of parsed.manifests) {
    const m = parseManifestOrIndex(
      await readFile(await archiveFile(dir, `blobs/sha256/${d.digest.slice(7)}`, 'manifest')),
    );
    if (m.kind !== 'manifest') continue;
    const name =
      d.annotations?.['io.containerd.image.name'] ??
      d.annotations?.['org.opencontainers.image.ref.name'];
    out.push({
      configPath: `blobs/sha256/${m.config.digest.slice(7)}`,
      layerPaths: m.layers.map((l) => {
        const c = layerCompression(l.mediaType);
        return { path: `blobs/sha256/${l.digest.slice(7)}`, ...(c ? { compression: c } : {}) };
      }),
      tags: name && name.includes(':') ? [name] : [],
    });
  }
  return out;
}

async function sniffCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

async function loadOne(
  ctx: ImageContext,
  dir: string,
  a: ArchiveImage,
  say: (line: string) => void,
): Promise<void> {
  const configBytes = await readFile(await archiveFile(dir, a.configPath, 'config'));
  const cfg = await ctx.content.put(configBytes);
  const config = parseImageConfig(configBytes);
  if (config.diffIds.length !== a.layerPaths.length)
    throw new InvalidArgumentError(
      `image ${cfg.digest}: config has ${config.diffIds.length} layers, archive ${a.layerPaths.length}`,
    );
  const chainIds = computeChainIds(config.diffIds);
  const layers = [];
  let size = 0;
  for (let i = 0; i < a.layerPaths.length; i++) {
    const lp = a.layerPaths[i];
    const chainId = chainIds[i];
    const diffId = config.diffIds[i];
    if (!lp || !chainId || !diffId) continue;
    const file = await archiveFile(dir, lp.path, 'layer');
    const compression = lp.compression ?? (await sniffCompression(file));
    const w = await ctx.content.writer();
    try {
      await pipeline(createReadStream(file), w.stream);
    } catch (e) {
      await w.abort();
      throw e;
    }
    const blob = await w.commit(undefined, undefined);
    layers.push({
      mediaType:
        compression === 'gzip'
          ? MT.dockerLayerGzip
          : compression === 'zstd'
            ? MT.ociLayerZstd
            : MT.ociLayer,
      digest: blob.digest,
      size: blob.size,
    });
    const stored = (await ctx.snapshots.stat(chainId))?.kind === 'committed';
    // Made only now, to be read at once: an 'error' (a zstd that cannot start) finds a listener.
    const source = createReadStream(file);
    const tarStream = decompress(source, compression, ctx.zstd);
    try {
      if (!stored) {
        const parent = i > 0 ? chainIds[i - 1] : undefined;
        size += await unpackLayer(ctx.snapshots, tarStream, {
          chainId,
          ...(parent ? { parent } : {}),
          diffId,
        });
      } else {
        // The chain exists already, but this archive's layer must still be what its config
        // says: otherwise a tampered archive gets tagged as if it held the stored layer.
        const got = await digestOf(tarStream);
        if (got !== diffId) throw diffIdMismatch(got, diffId);
        size += await layerSize(ctx.snapshots, chainId);
      }
    } finally {
      // A refused layer leaves the file open (and a zstd child running) otherwise.
      tarStream.destroy();
      source.destroy();
    }
  }
  let image = ctx.store.get(cfg.digest);
  if (!image) {
    image = {
      id: cfg.digest,
      layers,
      diffIds: config.diffIds,
      chainIds,
      size,
      created: config.created ?? new Date(0).toISOString(),
      addedAt: new Date().toISOString(),
    };
    await ctx.store.put(image);
  }
  // As after a pull: a layer its snapshot can rebuild needs no blob (an uncompressed one doubled
  // a loaded image's footprint).
  await dropRebuildableBlobs(ctx, image);
  if (a.tags.length === 0) say(`Loaded image ID: ${cfg.digest}`);
  for (const t of a.tags) {
    const ref = normalizeTagged(t);
    await ctx.store.tag(ref, cfg.digest);
    say(`Loaded image: ${familiar(ref)}`);
    ctx.events.publish('image', 'load', familiar(ref), {});
  }
}

/** The sha256 of a stream's bytes, as `sha256:<hex>`. */
async function digestOf(input: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of input) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
