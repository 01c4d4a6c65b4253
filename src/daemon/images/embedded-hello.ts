/**
 * skiff's own `hello-world`: native/build/hello (a static binary of a few KiB, built from source
 * by `npm run build`) as a one-layer image, loaded at first start unless the tag exists — so a
 * fresh install runs a real container with no registry in reach (seed 004's first check).
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { ImageService } from './image-service.js';

export const HELLO_TAG = 'hello-world:latest';

export async function ensureHelloWorld(images: ImageService, binaryPath: string): Promise<boolean> {
  try {
    images.ctx.store.lookup(HELLO_TAG);
    return false;
  } catch {
    // not there yet
  }
  const binary = await readFile(binaryPath);
  const pack = tar.pack();
  pack.entry(
    { name: 'hello', mode: 0o755, uid: 0, gid: 0, mtime: new Date('2026-01-01T00:00:00Z') },
    binary,
  );
  pack.finalize();
  await images.importTar({
    input: Readable.from(pack as AsyncIterable<Buffer>),
    repoTag: HELLO_TAG,
    changes: ['CMD ["/hello"]'],
    message: 'skiff embedded hello-world',
  });
  return true;
}
