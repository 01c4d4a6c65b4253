/** Layer decompression by media type: gzip in-process, zstd through the zstd binary, tar as is. */
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError, UnavailableError } from '../../errors.js';
import { spawnChild } from '../../proc/run.js';
import type { Compression } from '../../image/media-types.js';

export function decompress(input: Readable, c: Compression, zstd: string | undefined): Readable {
  switch (c) {
    case 'none':
      return input;
    case 'gzip': {
      const gunzip = createGunzip();
      input.on('error', (e) => gunzip.destroy(e));
      return input.pipe(gunzip);
    }
    case 'zstd': {
      if (!zstd)
        throw new UnavailableError(
          'this layer is zstd-compressed: install zstd (apt-get install zstd)',
        );
      const child = spawnChild(zstd, ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out = new PassThrough();
      let err = '';
      child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      child.stdin?.on('error', () => undefined);
      input.on('error', (e) => out.destroy(e));
      if (child.stdin) input.pipe(child.stdin);
      child.stdout?.pipe(out, { end: false });
      child.on('close', (code) => {
        if (code === 0) out.end();
        else
          out.destroy(
            new InvalidArgumentError(`zstd: ${err.trim() || `exit status ${code ?? '?'}`}`),
          );
      });
      return out;
    }
  }
}
