/**
 * `POST /build`, `POST /build/prune` and the build cache in `docker system df`. The classic
 * builder's cache is its intermediate images (untagged images a build step made), so that is
 * what `docker builder prune` removes and `system df` counts as "Build Cache".
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ImageService } from '../daemon/images/image-service.js';
import type { StoredImage } from '../image/image-store.js';
import type { BuildMounter, StepContainers } from './build-deps.js';
import type { BuildOptions } from './build-options.js';
import type { BuildOutput } from './build-output.js';

export interface BuildCacheRecord {
  readonly id: string;
  readonly parent: string;
  readonly description: string;
  readonly inUse: boolean;
  readonly size: number;
  readonly createdAt: string;
}

export interface PruneRequest {
  readonly all: boolean;
  /** Keep the newest entries up to this many bytes (0: no floor). */
  readonly keepStorage: number;
  readonly until?: Date;
  readonly ids: readonly string[];
}

export class BuildService {
  constructor(
    private readonly images: ImageService,
    private readonly containers: StepContainers,
    private readonly mounter: BuildMounter,
    private readonly workDir: string,
  ) {}

  /** Start-up: contexts and mount points of builds a previous skiffd did not finish. */
  async recover(): Promise<void> {
    await mkdir(this.workDir, { recursive: true, mode: 0o700 });
    for (const e of await readdir(this.workDir)) {
      const p = join(this.workDir, e);
      await this.mounter.unmount(p).catch(() => undefined);
      await rm(p, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  async build(
    options: BuildOptions,
    body: Readable,
    out: BuildOutput,
    signal: AbortSignal,
  ): Promise<string> {
    // Loaded on the first build: the Dockerfile parser and its dependencies are a few MiB of
    // heap an idle daemon (and one that never builds) does without.
    const { runBuild } = await import('./builder.js');
    return runBuild(
      {
        images: this.images,
        containers: this.containers,
        mounter: this.mounter,
        workDir: this.workDir,
      },
      options,
      body,
      out,
      signal,
    );
  }

  /** Intermediate images: made by a build step, not tagged, newest first. */
  async cacheRecords(): Promise<BuildCacheRecord[]> {
    const all = this.images.all();
    const byId = new Map(all.map((i) => [i.id, i]));
    const out: BuildCacheRecord[] = [];
    for (const img of all) {
      if (!this.isCacheEntry(img)) continue;
      const parent = img.parent ? byId.get(img.parent) : undefined;
      const config = await this.images.configOf(img.id).catch(() => undefined);
      out.push({
        id: img.id,
        parent: img.parent ?? '',
        description: config?.history.at(-1)?.createdBy ?? '',
        inUse: this.images.ctx.containersUsing(img.id).length > 0,
        size: Math.max(0, img.size - (parent?.size ?? 0)),
        createdAt: img.created,
      });
    }
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /**
   * Without `all`, only entries no tagged image is built on (left by builds whose result is
   * gone or was rebuilt); with it, every entry (the next build starts cold). Entries in use by
   * a container, and the newest ones within keepStorage, stay.
   */
  async prune(req: PruneRequest): Promise<{ deleted: string[]; reclaimed: number }> {
    const records = await this.cacheRecords();
    const ancestors = req.all ? new Set<string>() : this.ancestorsOfTagged();
    let kept = 0;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const r of records) {
      if (r.inUse || ancestors.has(r.id)) continue;
      if (req.until && Date.parse(r.createdAt) >= req.until.getTime()) continue;
      if (
        req.ids.length > 0 &&
        !req.ids.some((p) => r.id.replace(/^sha256:/, '').startsWith(p.replace(/^sha256:/, '')))
      )
        continue;
      if (req.keepStorage > 0 && kept + r.size <= req.keepStorage) {
        kept += r.size;
        continue;
      }
      await this.images.removeIntermediate(r.id);
      deleted.push(r.id);
      reclaimed += r.size;
    }
    return { deleted, reclaimed };
  }

  private isCacheEntry(img: StoredImage): boolean {
    return (
      img.buildKey !== undefined &&
      this.images.tagsOf(img.id).length === 0 &&
      this.images.digestsOf(img.id).length === 0
    );
  }

  private ancestorsOfTagged(): Set<string> {
    const all = this.images.all();
    const byId = new Map(all.map((i) => [i.id, i]));
    const out = new Set<string>();
    for (const img of all) {
      if (this.images.tagsOf(img.id).length === 0) continue;
      for (let p = img.parent; p && !out.has(p); p = byId.get(p)?.parent) out.add(p);
    }
    return out;
  }
}
