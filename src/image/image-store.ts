/**
 * Images by id (the config digest) and names by reference: `<dataRoot>/images/<hex>.json` per
 * image and one `repositories.json` for tags and repo digests, each written atomically. Layers
 * are shared by chain id (snapshots) and by blob digest (content store).
 *
 * Changes to the names are read-modify-writes of one file: each builds the next table from the
 * current one, writes it and only then makes it current, one at a time (`updateRepos`). Unordered,
 * concurrent writes of whole tables let an older table land last, and tags were lost on restart.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import { KeyLock } from '../store/key-lock.js';
import type { Descriptor } from './descriptor.js';
import {
  canonical,
  familiar,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from './reference.js';

export interface StoredImage {
  /** "sha256:<hex>" = digest of the config blob. */
  readonly id: string;
  /** Compressed layer blobs as pulled/committed (for push and save), in order. */
  readonly layers: readonly Descriptor[];
  readonly diffIds: readonly string[];
  readonly chainIds: readonly string[];
  /** Sum of the layer blob sizes (what docker shows as the image size). */
  readonly size: number;
  readonly created: string;
  /** The manifest we pulled or made (digest in the content store). */
  readonly manifestDigest?: string;
  readonly manifestMediaType?: string;
  /** The image this one was built on (commit), for `docker history` and untagged parents. */
  readonly parent?: string;
  /** Made by a build step: the cache key it answers (src/build/build-cache.ts). */
  readonly buildKey?: string;
  /** When the image entered this store. */
  readonly addedAt: string;
}

interface Repositories {
  /** canonical tagged reference → image id */
  tags: Record<string, string>;
  /** canonical digested reference (repo@sha256:...) → image id */
  digests: Record<string, string>;
}

export class ImageStore {
  private readonly images = new Map<string, StoredImage>();
  private repos: Repositories = { tags: {}, digests: {} };
  private readonly locks = new KeyLock();

  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<ImageStore> {
    const s = new ImageStore(root);
    await mkdir(root, { recursive: true, mode: 0o700 });
    for (const f of await readdir(root)) {
      if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
      const img = (await readJsonFile(join(root, f)).catch(() => undefined)) as
        StoredImage | undefined;
      if (img?.id === `sha256:${f.slice(0, 64)}`) s.images.set(img.id, img);
    }
    const repos = (await readJsonFile(join(root, 'repositories.json')).catch(() => undefined)) as
      Repositories | undefined;
    if (repos) s.repos = { tags: { ...repos.tags }, digests: { ...repos.digests } };
    // Names of images that are gone (a crash between the two writes) are dropped.
    s.repos = {
      tags: keep(s.repos.tags, (v) => s.images.has(v)),
      digests: keep(s.repos.digests, (v) => s.images.has(v)),
    };
    return s;
  }

  all(): StoredImage[] {
    return [...this.images.values()];
  }

  get(id: string): StoredImage | undefined {
    return this.images.get(id);
  }

  async put(img: StoredImage): Promise<void> {
    await writeJsonAtomic(join(this.root, `${img.id.slice(7)}.json`), img);
    this.images.set(img.id, img);
  }

  async remove(id: string): Promise<void> {
    await this.updateRepos((r) => ({
      tags: keep(r.tags, (v) => v !== id),
      digests: keep(r.digests, (v) => v !== id),
    }));
    await rm(join(this.root, `${id.slice(7)}.json`), { force: true });
    this.images.delete(id);
  }

  /** Points a tag at an image; returns the image it pointed to before, if another. */
  async tag(ref: ImageReference, id: string): Promise<string | undefined> {
    if (!ref.tag) throw new InvalidArgumentError('a tag is required');
    const key = canonical({ domain: ref.domain, path: ref.path, tag: ref.tag });
    let before: string | undefined;
    await this.updateRepos((r) => {
      before = r.tags[key];
      return { tags: { ...r.tags, [key]: id }, digests: r.digests };
    });
    return before !== id ? before : undefined;
  }

  async untag(key: string): Promise<void> {
    await this.updateRepos((r) => ({
      tags: keep(r.tags, (_v, k) => k !== key),
      digests: keep(r.digests, (_v, k) => k !== key),
    }));
  }

  async addDigest(ref: ImageReference, digest: string, id: string): Promise<void> {
    const key = `${repositoryName(ref)}@${digest}`;
    await this.updateRepos((r) => ({ tags: r.tags, digests: { ...r.digests, [key]: id } }));
  }

  /** Canonical tagged references of an image. */
  tagsOf(id: string): string[] {
    return Object.entries(this.repos.tags)
      .filter(([, v]) => v === id)
      .map(([k]) => k);
  }

  digestsOf(id: string): string[] {
    return Object.entries(this.repos.digests)
      .filter(([, v]) => v === id)
      .map(([k]) => k);
  }

  /** Familiar forms for display: busybox:latest, 127.0.0.1:5000/x:v1. */
  familiarTagsOf(id: string): string[] {
    return this.tagsOf(id).map((k) => familiar(parseReference(k)));
  }

  familiarDigestsOf(id: string): string[] {
    return this.digestsOf(id).map((k) => familiar(parseReference(k)));
  }

  /**
   * An image by reference (name[:tag], name@digest), full id, or id prefix, as dockerd's
   * GetImage: names first, then ids.
   */
  lookup(refOrId: string): { id: string; via: 'tag' | 'digest' | 'id'; key?: string } {
    const hex = refOrId.startsWith('sha256:') ? refOrId.slice(7) : refOrId;
    if (/^[a-f0-9]{64}$/.test(hex) && this.images.has(`sha256:${hex}`))
      return { id: `sha256:${hex}`, via: 'id' };
    let ref: ImageReference | undefined;
    try {
      ref = parseReference(refOrId);
    } catch {
      ref = undefined;
    }
    if (ref) {
      if (ref.digest) {
        const key = `${repositoryName(ref)}@${ref.digest}`;
        const id = this.repos.digests[key];
        if (id) return { id, via: 'digest', key };
        // A digest that is the image id itself (docker run busybox@sha256:<config digest> is not valid, but image id refs are).
        if (this.images.has(ref.digest)) return { id: ref.digest, via: 'id' };
      } else {
        const key = canonical(withDefaultTag(ref));
        const id = this.repos.tags[key];
        if (id) return { id, via: 'tag', key };
      }
    }
    if (/^[a-f0-9]{1,64}$/.test(hex)) {
      const hits = [...this.images.keys()].filter((id) => id.slice(7).startsWith(hex));
      if (hits.length === 1 && hits[0]) return { id: hits[0], via: 'id' };
      if (hits.length > 1)
        throw new InvalidArgumentError(`multiple images found with provided prefix: ${hex}`);
    }
    throw new NotFoundError(`No such image: ${refOrId}`);
  }

  /** One read-modify-write of repositories.json at a time; memory follows the file. */
  private updateRepos(change: (current: Repositories) => Repositories): Promise<void> {
    return this.locks.with('repositories', async () => {
      const next = change(this.repos);
      await writeJsonAtomic(join(this.root, 'repositories.json'), next);
      this.repos = next;
    });
  }
}

function keep(
  r: Record<string, string>,
  pred: (value: string, key: string) => boolean,
): Record<string, string> {
  return Object.fromEntries(Object.entries(r).filter(([k, v]) => pred(v, k)));
}
