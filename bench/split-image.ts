/**
 * Makes the pull benchmark's multi-layer image: the debian minbase image of
 * ../shared/reference-engines (one ~50 MB gzip layer) re-cut into four layers by path, pushed as
 * `<registry>/skiff-bench/debian-layers:latest` unless already there. Each layer carries the
 * directory entries above its files, as a Dockerfile build's layers would.
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { buildImage, pushImage } from '../test/helpers/image-builder.js';

export const SPLIT_REPO = 'skiff-bench/debian-layers';

const GROUPS: readonly ((name: string) => boolean)[] = [
  (n) => n.startsWith('usr/lib/'),
  (n) => n.startsWith('usr/share/'),
  (n) => /^usr\/(s?bin|libexec)\//.test(n),
];

function groupOf(name: string): number {
  const i = GROUPS.findIndex((g) => g(name));
  return i < 0 ? 0 : i + 1;
}

async function exists(addr: string, repo: string, tag: string): Promise<boolean> {
  const r = await fetch(`http://${addr}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  return r.ok;
}

/** Ensures the split image is in the registry; returns its reference. */
export async function ensureSplitImage(addr: string, source: string, tag: string): Promise<string> {
  const ref = `${addr}/${SPLIT_REPO}:latest`;
  if (await exists(addr, SPLIT_REPO, 'latest')) return ref;
  const m = (await (
    await fetch(`http://${addr}/v2/${source}/manifests/${tag}`, {
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    })
  ).json()) as { layers: { digest: string }[] };
  const packs = [0, 1, 2, 3].map(() => tar.pack());
  const outputs = packs.map(async (p) => {
    const chunks: Buffer[] = [];
    for await (const c of p) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  });
  const dirs = new Map<string, tar.Header>();
  const emittedDirs = packs.map(() => new Set<string>());
  const groupOfPath = new Map<string, number>();
  for (const layer of m.layers) {
    const blob = await fetch(`http://${addr}/v2/${source}/blobs/${layer.digest}`);
    if (!blob.body) throw new Error(`no body for ${layer.digest}`);
    const ex = tar.extract();
    Readable.fromWeb(blob.body).pipe(createGunzip()).pipe(ex);
    for await (const entry of ex) {
      const h = entry.header;
      const name = h.name.replace(/^\.\//, '').replace(/\/$/, '');
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if (h.type === 'directory') {
        dirs.set(name, h);
        continue;
      }
      const target = h.type === 'link' ? (h.linkname ?? '').replace(/^\.\//, '') : undefined;
      const g = target !== undefined ? (groupOfPath.get(target) ?? groupOf(name)) : groupOf(name);
      groupOfPath.set(name, g);
      const pack = packs[g];
      if (!pack) continue;
      const parts = name.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        const dh = dirs.get(d);
        if (dh && !emittedDirs[g]?.has(d)) {
          emittedDirs[g]?.add(d);
          pack.entry(dh);
        }
      }
      pack.entry(h, Buffer.concat(chunks));
    }
  }
  // Directories with nothing but directories below them go into the first layer.
  for (const [d, h] of dirs) if (!emittedDirs.some((s) => s.has(d))) packs[0]?.entry(h);
  for (const p of packs) p.finalize();
  const layers = await Promise.all(outputs);
  const image = await buildImage({ layers, config: { Cmd: ['bash'] } });
  await pushImage({ addr }, SPLIT_REPO, 'latest', image);
  return ref;
}
