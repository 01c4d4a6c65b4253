/** What every step of one build shares: the output, the stores, the ports, the options, the cache. */
import type { ImageService } from '../daemon/images/image-service.js';
import type { ImageRuntimeConfig } from '../image/image-config.js';
import { recordImage, type StoredLayer } from '../daemon/images/image-from-layer.js';
import { layerSize } from '../daemon/images/unpack-layer.js';
import type { BuildCache } from './build-cache.js';
import type { BuildMounter, StepContainers } from './build-deps.js';
import type { BuildOptions } from './build-options.js';
import type { BuildOutput } from './build-output.js';
import type { StageState } from './stage-state.js';

export interface StepContext {
  readonly out: BuildOutput;
  readonly images: ImageService;
  readonly containers: StepContainers;
  readonly mounter: BuildMounter;
  readonly options: BuildOptions;
  readonly cache: BuildCache;
  /** A directory of skiffd's own for mount points and scratch files. */
  readonly workDir: string;
  readonly signal: AbortSignal;
  /** Prints `[Warning] text` the first time it is given in this build. */
  warnOnce(text: string): void;
}

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * The `#(nop)` command line dockerd records for a step that runs nothing. Config steps carry
 * the comment as its own word (`#(nop) ` then `ENV a=b`: history shows two spaces), COPY/ADD as
 * one word (one space) — dockerd's withCmdComment and withCmdCommentString.
 */
export function nopCommand(st: StageState, comment: string, oneWord = false): string[] {
  return oneWord ? [...st.shell(), `#(nop) ${comment}`] : [...st.shell(), '#(nop) ', comment];
}

/**
 * Records the step's image (the stage's config, plus a layer when the step made one) and makes
 * it the stage's current image. Returns its id (the caller prints ` ---> <id>`, after any
 * `Removed intermediate container` line, in dockerd's order).
 */
export async function commitStep(
  sc: StepContext,
  st: StageState,
  o: {
    readonly createdBy: string;
    readonly key: string;
    readonly containerCmd: readonly string[];
    readonly layer?: StoredLayer;
    readonly container?: string;
  },
): Promise<string> {
  const containerConfig: ImageRuntimeConfig = { ...st.runConfig, cmd: o.containerCmd };
  const img = await recordImage(sc.images.ctx, {
    ...(st.image && st.imageConfig ? { parent: { image: st.image, config: st.imageConfig } } : {}),
    ...(o.layer ? { layer: o.layer } : {}),
    config: st.runConfig,
    history: { createdBy: o.createdBy },
    ...(st.author ? { author: st.author } : {}),
    arch: sc.images.ctx.arch,
    ...(o.container ? { container: o.container } : {}),
    containerConfig,
    buildKey: o.key,
  });
  await adoptImage(sc, st, img.id);
  return img.id;
}

/** Makes an existing image (a cache hit) the stage's current one. */
export async function adoptImage(sc: StepContext, st: StageState, id: string): Promise<void> {
  const d = await sc.images.details(id);
  st.image = d.image;
  st.imageConfig = d.config;
  st.runConfig = d.config.config;
}

/**
 * A step already done: by an earlier build on this parent, or by a `cachefrom` image whose
 * history continues this one. Prints `---> Using cache` and adopts the result.
 */
export async function probeCache(
  sc: StepContext,
  st: StageState,
  createdBy: string,
  key: string,
): Promise<boolean> {
  if (sc.options.noCache) return false;
  const hit = sc.cache.find(st.imageId, key);
  if (hit) {
    await adoptImage(sc, st, hit.id);
    sc.out.say(` ---> Using cache\n ---> ${shortId(hit.id)}\n`);
    return true;
  }
  const from = sc.cache.fromSources({ image: st.image, config: st.imageConfig }, createdBy);
  if (!from) return false;
  const i = from.layerIndex;
  const descriptor = i === undefined ? undefined : from.source.image.layers[i];
  const diffId = i === undefined ? undefined : from.source.image.diffIds[i];
  const chainId = i === undefined ? undefined : from.source.image.chainIds[i];
  const layer =
    descriptor && diffId && chainId
      ? { descriptor, diffId, size: await layerSize(sc.images.ctx.snapshots, chainId) }
      : undefined;
  if (i !== undefined && !layer) return false;
  const img = await recordImage(sc.images.ctx, {
    ...(st.image && st.imageConfig ? { parent: { image: st.image, config: st.imageConfig } } : {}),
    ...(layer ? { layer } : {}),
    config: st.runConfig,
    history: from.entry,
    arch: sc.images.ctx.arch,
    buildKey: key,
  });
  await adoptImage(sc, st, img.id);
  sc.out.say(` ---> Using cache\n ---> ${shortId(img.id)}\n`);
  return true;
}
