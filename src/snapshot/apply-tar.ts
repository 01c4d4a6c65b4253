/**
 * A driver's layer apply: skiff-untar where it was built (native-apply.ts), else the Node
 * extractor (apply-layer.ts), which then needs the tar gunzipped first.
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from '../log.js';
import { applyLayer, type WhiteoutMode } from './apply-layer.js';
import { applyLayerNative } from './native-apply.js';
import type { ApplyInput, ApplyResult } from './snapshotter.js';

export interface ApplyTarOptions {
  readonly whiteouts: WhiteoutMode;
  readonly lowerDirs: readonly string[];
  readonly fsops: string | undefined;
  readonly untar: string | undefined;
  /** Written only by skiff-untar. */
  readonly tarSplit?: string;
  readonly log: Logger;
}

export function applyTar(
  dir: string,
  tar: Readable,
  o: ApplyTarOptions,
  input: ApplyInput = {},
): Promise<ApplyResult> {
  const signal = input.signal ? { signal: input.signal } : {};
  if (o.untar)
    return applyLayerNative(dir, tar, {
      whiteouts: o.whiteouts,
      lowerDirs: o.lowerDirs,
      untar: o.untar,
      log: o.log,
      ...(input.compression ? { compression: input.compression } : {}),
      ...(o.tarSplit !== undefined ? { tarSplit: o.tarSplit } : {}),
      ...signal,
    });
  return applyLayer(dir, input.compression === 'gzip' ? gunzip(tar) : tar, {
    whiteouts: o.whiteouts,
    lowerDirs: o.lowerDirs,
    fsops: o.fsops,
    log: o.log,
    ...signal,
  });
}

function gunzip(input: Readable): Readable {
  const g = createGunzip();
  input.on('error', (e) => g.destroy(e));
  return input.pipe(g);
}
