/**
 * `docker push`: every layer blob the registry lacks (HEAD first: "Layer already exists"),
 * the config, then the manifest under the tag. Progress as the CLI draws it, and the final
 * "<tag>: digest: <digest> size: <n>" line with its aux record.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { StoredImage } from '../../image/image-store.js';
import { NotFoundError } from '../../errors.js';
import { MT } from '../../image/media-types.js';
import { familiar, familiarRepository, type ImageReference } from '../../image/reference.js';
import type { Credentials } from '../../registry/credentials.js';
import { RegistryClient } from '../../registry/registry-client.js';
import type { ImageContext } from './image-context.js';
import { shortDigest, type ProgressSink } from './progress.js';
import { Semaphore } from './semaphore.js';

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
  await Promise.all(
    [...img.layers].reverse().map((l) =>
      sem.run(async () => {
        const id = shortDigest(l.digest);
        if (await client.blobExists(l.digest)) {
          progress({ id, status: 'Layer already exists', progressDetail: {} });
          return;
        }
        progress({ id, status: 'Waiting', progressDetail: {} });
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
      }),
    ),
  );
  const config = await ctx.content.readAll(img.id, 8 * 1024 * 1024);
  if (!(await client.blobExists(img.id)))
    await client.uploadBlob(img.id, config.length, () => config);
  const stored = img.manifestDigest
    ? await ctx.content.readAll(img.manifestDigest, 4 * 1024 * 1024).catch(() => undefined)
    : undefined;
  const manifest =
    stored && img.manifestMediaType
      ? { bytes: stored, mediaType: img.manifestMediaType }
      : {
          bytes: Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: MT.dockerManifest,
              config: { mediaType: MT.dockerConfig, digest: img.id, size: config.length },
              layers: img.layers,
            }),
          ),
          mediaType: MT.dockerManifest,
        };
  const tag = ref.tag ?? 'latest';
  await client.putManifest(tag, manifest.mediaType, manifest.bytes);
  const digest = `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`;
  await ctx.store.addDigest(ref, digest, img.id);
  progress({ status: `${tag}: digest: ${digest} size: ${manifest.bytes.length}` });
  ctx.events.publish('image', 'push', familiar(ref), { name: familiar(ref) });
  return { tag, digest, size: manifest.bytes.length };
}
