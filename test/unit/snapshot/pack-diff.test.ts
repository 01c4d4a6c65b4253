import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import type { Readable } from 'node:stream';
import { packDiff } from '../../../src/snapshot/pack-diff.js';

async function names(stream: Readable): Promise<string[]> {
  const ex = tar.extract();
  stream.pipe(ex);
  const out: string[] = [];
  for await (const e of ex) {
    out.push(e.header.name);
    e.resume();
  }
  return out;
}

describe('packDiff against a snapshot that changed since it was listed', () => {
  let upper: string;
  let outside: string;
  before(async () => {
    upper = await mkdtemp(join(tmpdir(), 'skiff-upper-'));
    outside = await mkdtemp(join(tmpdir(), 'skiff-host-'));
    await writeFile(join(outside, 'f'), 'host file');
    await mkdir(join(upper, 'w'));
    // Listed as a directory with a file in it; by the time of packing, a symlink to the host.
    await symlink(outside, join(upper, 'w', 'd'));
  });
  after(async () => {
    await rm(upper, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('packs the symlink and nothing below it: no host file, no path through a symlink', async () => {
    const got = await names(
      packDiff([
        { kind: 'added', rel: 'w', root: upper },
        { kind: 'added', rel: 'w/d', root: upper },
        { kind: 'added', rel: 'w/d/f', root: upper },
      ]),
    );
    assert.deepEqual(got, ['w/', 'w/d']);
  });

  it('a symlink packed, then swapped back to a directory: nothing below it is packed', async () => {
    let swapped = false;
    // The container swaps the symlink back just as the pack reaches the entry below it.
    const below = {
      kind: 'added' as const,
      root: upper,
      get rel(): string {
        if (!swapped) {
          swapped = true;
          unlinkSync(join(upper, 'w', 'd'));
          mkdirSync(join(upper, 'w', 'd'));
          writeFileSync(join(upper, 'w', 'd', 'f'), 'container file');
        }
        return 'w/d/f';
      },
    };
    const got = await names(
      packDiff([
        { kind: 'added', rel: 'w', root: upper },
        { kind: 'added', rel: 'w/d', root: upper },
        below,
      ]),
    );
    // A layer with w/d a symlink and w/d/f a file would be refused when applied.
    assert.deepEqual(got, ['w/', 'w/d']);
    assert.ok(swapped);
  });
});
