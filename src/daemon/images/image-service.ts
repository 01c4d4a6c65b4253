/**
 * The images service the API calls: one small method per operation, delegating to pull, push,
 * save/load, removal and image-from-layer modules over the shared ImageContext.
 */
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import {
  EMPTY_RUNTIME_CONFIG,
  parseImageConfig,
  type ImageConfig,
  type ImageRuntimeConfig,
} from '../../image/image-config.js';
import {
  familiar,
  normalizeTagged,
  parseReference,
  withDefaultTag,
} from '../../image/reference.js';
import type { StoredImage } from '../../image/image-store.js';
import { registryDomain, type Credentials } from '../../registry/credentials.js';
import { RegistryClient } from '../../registry/registry-client.js';
import { MAX_CONFIG_BYTES, type ImageContext } from './image-context.js';
import { imageFromLayer } from './image-from-layer.js';
import { loadImages } from './load-images.js';
import { applyChanges } from './parse-changes.js';
import type { ProgressSink } from './progress.js';
import { pullImage } from './pull-image.js';
import { pushImage, type PushResult } from './push-image.js';
import { deleteImage, removeImage, type DeleteResponseItem } from './remove-image.js';
import { saveImages, selectForSave } from './save-images.js';
import { removeStaleExtracts } from './unpack-layer.js';

export interface ImageDetails {
  readonly image: StoredImage;
  readonly config: ImageConfig;
  readonly repoTags: string[];
  readonly repoDigests: string[];
}

export class ImageService {
  constructor(
    readonly ctx: ImageContext,
    private readonly tmpRoot: string,
  ) {}

  /** Start-up: remove what an interrupted pull, load or commit left. */
  async recover(): Promise<void> {
    const n = await removeStaleExtracts(this.ctx.snapshots);
    if (n > 0) this.ctx.log.info({ count: n }, 'removed unfinished layer extractions');
  }

  async details(refOrId: string): Promise<ImageDetails> {
    const { id } = this.ctx.store.lookup(refOrId);
    const image = this.ctx.store.get(id);
    if (!image) throw new NotFoundError(`No such image: ${refOrId}`);
    const config = parseImageConfig(await this.ctx.content.readAll(id, MAX_CONFIG_BYTES));
    return {
      image,
      config,
      repoTags: this.ctx.store.familiarTagsOf(id),
      repoDigests: this.ctx.store.familiarDigestsOf(id),
    };
  }

  all(): StoredImage[] {
    return this.ctx.store.all();
  }

  async configOf(id: string): Promise<ImageConfig> {
    return parseImageConfig(await this.ctx.content.readAll(id, MAX_CONFIG_BYTES));
  }

  tagsOf(id: string): string[] {
    return this.ctx.store.familiarTagsOf(id);
  }

  digestsOf(id: string): string[] {
    return this.ctx.store.familiarDigestsOf(id);
  }

  pull(
    o: {
      image: string;
      tag?: string;
      platform?: string;
      creds?: Credentials;
      signal?: AbortSignal;
    },
    progress: ProgressSink,
  ): Promise<{ id: string }> {
    let ref = parseReference(o.image);
    if (o.tag)
      ref = o.tag.startsWith('sha256:') ? { ...ref, digest: o.tag } : { ...ref, tag: o.tag };
    ref = withDefaultTag(ref);
    return this.ctx.locks.with(`pull:${ref.domain}/${ref.path}`, () =>
      pullImage(
        this.ctx,
        {
          ref,
          ...(o.platform ? { platform: o.platform } : {}),
          ...(o.creds ? { creds: o.creds } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        },
        progress,
      ),
    );
  }

  push(
    name: string,
    tag: string | undefined,
    creds: Credentials | undefined,
    progress: ProgressSink,
  ): Promise<PushResult> {
    const ref = withDefaultTag(tag ? { ...parseReference(name), tag } : parseReference(name));
    return pushImage(this.ctx, ref, creds, progress);
  }

  async tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    const { id } = this.ctx.store.lookup(source);
    const ref = normalizeTagged(tag ? `${repo}:${tag}` : repo);
    if (ref.digest)
      throw new InvalidArgumentError('refusing to create a tag with a digest reference');
    await this.ctx.store.tag(ref, id);
    this.ctx.events.publish('image', 'tag', id, { name: familiar(ref) });
  }

  remove(refOrId: string, o: { force: boolean; prune: boolean }): Promise<DeleteResponseItem[]> {
    return this.ctx.locks.with('images:delete', () => removeImage(this.ctx, refOrId, o));
  }

  /** `docker image prune`: dangling images (no tag) unused by containers, or all unused with `all`. */
  async prune(o: {
    all: boolean;
    until?: Date;
    labels: readonly string[];
  }): Promise<{ deleted: DeleteResponseItem[]; reclaimed: number }> {
    const deleted: DeleteResponseItem[] = [];
    let reclaimed = 0;
    for (const img of this.ctx.store.all()) {
      // Gone with a child pruned before it; or a parent of another image (dockerd prunes heads only).
      if (!this.ctx.store.get(img.id)) continue;
      if (this.ctx.store.all().some((i) => i.parent === img.id)) continue;
      const tags = this.ctx.store.tagsOf(img.id);
      if (!o.all && tags.length > 0) continue;
      if (this.ctx.containersUsing(img.id).length > 0) continue;
      if (o.until && Date.parse(img.created) >= o.until.getTime()) continue;
      if (o.labels.length > 0) {
        const labels = (await this.configOf(img.id)).config.labels;
        if (
          !o.labels.every((f) =>
            f.includes('=')
              ? labels[f.slice(0, f.indexOf('='))] === f.slice(f.indexOf('=') + 1)
              : f in labels,
          )
        )
          continue;
      }
      for (const t of [...tags, ...this.ctx.store.digestsOf(img.id)]) {
        await this.ctx.store.untag(t);
        deleted.push({ Untagged: familiar(parseReference(t)) });
      }
      deleted.push(...(await deleteImage(this.ctx, img.id, true)));
      reclaimed += img.size;
    }
    return { deleted, reclaimed };
  }

  /** A build's intermediate image, for `docker builder prune` (its parents stay: they are entries too). */
  async removeIntermediate(id: string): Promise<void> {
    await this.ctx.locks.with('images:delete', () => deleteImage(this.ctx, id, false));
  }

  save(names: readonly string[]): Readable {
    return saveImages(this.ctx, selectForSave(this.ctx, names));
  }

  load(input: Readable, say: (line: string) => void): Promise<void> {
    return loadImages(this.ctx, input, this.tmpRoot, say);
  }

  /** `docker import`: a rootfs tar as a one-layer image. */
  async importTar(o: {
    input: Readable;
    repoTag?: string;
    changes: readonly string[];
    message: string;
    platform?: string;
  }): Promise<StoredImage> {
    const img = await imageFromLayer(this.ctx, {
      layer: o.input,
      config: applyChanges(EMPTY_RUNTIME_CONFIG, o.changes),
      history: {
        created: new Date().toISOString(),
        createdBy: '',
        comment: o.message || 'Imported from -',
      },
      ...(o.message ? { comment: o.message } : {}),
      ...(o.repoTag ? { repoTag: o.repoTag } : {}),
      arch: o.platform?.split('/')[1] ?? this.ctx.arch,
    });
    this.ctx.events.publish('image', 'import', img.id, {});
    return img;
  }

  /** `docker commit`, from the containers side. */
  async commit(o: {
    parentImageId: string;
    layer: Readable;
    config: ImageRuntimeConfig;
    changes: readonly string[];
    comment: string;
    author: string;
    createdBy: string;
    repoTag?: string;
  }): Promise<StoredImage> {
    const parentImage = this.ctx.store.get(o.parentImageId);
    const parent = parentImage
      ? { image: parentImage, config: await this.configOf(parentImage.id) }
      : undefined;
    return imageFromLayer(this.ctx, {
      ...(parent ? { parent } : {}),
      layer: o.layer,
      config: applyChanges(o.config, o.changes),
      history: {
        created: new Date().toISOString(),
        createdBy: o.createdBy,
        ...(o.comment ? { comment: o.comment } : {}),
        ...(o.author ? { author: o.author } : {}),
      },
      ...(o.author ? { author: o.author } : {}),
      ...(o.comment ? { comment: o.comment } : {}),
      ...(o.repoTag ? { repoTag: o.repoTag } : {}),
      arch: this.ctx.arch,
    });
  }

  /** `docker login`: checks the credentials against the registry. */
  async login(creds: Credentials): Promise<void> {
    const domain = registryDomain(creds.serverAddress ?? 'docker.io');
    await new RegistryClient(this.ctx.hosts, domain, '', creds, ['pull']).checkLogin();
  }

  diskUsage(): Promise<
    { image: StoredImage; tags: string[]; digests: string[]; containers: number }[]
  > {
    return Promise.resolve(
      this.ctx.store.all().map((image) => ({
        image,
        tags: this.ctx.store.familiarTagsOf(image.id),
        digests: this.ctx.store.familiarDigestsOf(image.id),
        containers: this.ctx.containersUsing(image.id).length,
      })),
    );
  }
}
