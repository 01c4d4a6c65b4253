/**
 * Builds OCI/Docker images offline for tests and pushes them to a registry with the plain
 * Distribution HTTP API (so that image tests do not depend on skiff's own push). The standard
 * test image is busybox from Debian's busybox-static: `busyboxRootfs()`.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import tar from 'tar-stream';

export interface FileEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink';
  readonly content?: Buffer | string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly linkname?: string;
  readonly mtime?: Date;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface BuiltLayer {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
  readonly data: Buffer;
}

export interface BuiltImage {
  readonly mediaType: string;
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  readonly config: Buffer;
  readonly configDigest: string;
  readonly layers: readonly BuiltLayer[];
}

export interface ImageSpec {
  readonly layers: readonly (readonly FileEntry[] | Buffer)[];
  readonly config?: Record<string, unknown>;
  readonly compression?: Compression;
  readonly format?: 'docker' | 'oci';
  readonly architecture?: string;
  readonly os?: string;
  readonly variant?: string;
  readonly created?: string;
  readonly history?: readonly Record<string, unknown>[];
}

export const sha256 = (b: Buffer | string): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An uncompressed tar of the entries, in order. */
export async function layerTar(entries: readonly FileEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const header = {
      name: e.path.replace(/^\/+/, ''),
      mode: e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? new Date('2024-01-01T00:00:00Z'),
      type:
        e.type === 'dir'
          ? 'directory'
          : e.type === 'symlink'
            ? 'symlink'
            : e.type === 'hardlink'
              ? 'link'
              : 'file',
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    } as const;
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => {
        if (err) reject(err);
        else resolve();
      };
      if (e.type === 'file') pack.entry(header, Buffer.from(e.content ?? ''), cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A busybox root filesystem from the host's busybox-static (/bin/busybox). */
export function busyboxRootfs(busybox = '/bin/busybox'): FileEntry[] {
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a.length > 0);
  const entries: FileEntry[] = [];
  for (const d of [
    'bin',
    'sbin',
    'usr',
    'usr/bin',
    'usr/sbin',
    'etc',
    'root',
    'tmp',
    'proc',
    'sys',
    'dev',
    'var',
    'var/www',
    'home',
  ])
    entries.push({
      path: d,
      type: 'dir',
      mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755,
    });
  entries.push({ path: 'bin/busybox', type: 'file', mode: 0o755, content: readBinary(busybox) });
  for (const a of applets)
    if (a !== 'bin/busybox') entries.push({ path: a, type: 'symlink', linkname: '/bin/busybox' });
  entries.push(
    {
      path: 'etc/passwd',
      type: 'file',
      content:
        'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nwww:x:1000:1000:www:/var/www:/bin/sh\n',
    },
    { path: 'etc/group', type: 'file', content: 'root:x:0:\nwww:x:1000:\nnogroup:x:65534:\n' },
    { path: 'etc/hostname', type: 'file', content: 'busybox\n' },
  );
  return entries;
}

function readBinary(path: string): Buffer {
  return execFileSync('cat', [path], { maxBuffer: 64 * 1024 * 1024 });
}

export function compress(data: Buffer, c: Compression): Buffer {
  if (c === 'gzip') return gzipSync(data);
  if (c === 'zstd')
    return execFileSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1024 * 1024 * 1024 });
  return data;
}

const MT = {
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: {
      gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
      none: 'application/vnd.oci.image.layer.v1.tar',
    },
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  },
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: {
      gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
      zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
      none: 'application/vnd.oci.image.layer.v1.tar',
    },
    index: 'application/vnd.oci.image.index.v1+json',
  },
} as const;

export async function buildImage(spec: ImageSpec): Promise<BuiltImage> {
  const format = spec.format ?? 'docker';
  const compression = spec.compression ?? 'gzip';
  const layers: BuiltLayer[] = [];
  for (const l of spec.layers) {
    const raw = Buffer.isBuffer(l) ? l : await layerTar(l);
    const data = compress(raw, compression);
    layers.push({
      mediaType: MT[format].layer[compression],
      digest: sha256(data),
      size: data.length,
      diffId: sha256(raw),
      data,
    });
  }
  const created = spec.created ?? '2024-01-01T00:00:00Z';
  const config = Buffer.from(
    JSON.stringify({
      architecture: spec.architecture ?? hostArch(),
      os: spec.os ?? 'linux',
      ...(spec.variant ? { variant: spec.variant } : {}),
      created,
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['sh'],
        ...spec.config,
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history:
        spec.history ?? layers.map(() => ({ created, created_by: 'skiff test image builder' })),
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT[format].manifest,
      config: { mediaType: MT[format].config, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  return {
    mediaType: MT[format].manifest,
    manifest,
    manifestDigest: sha256(manifest),
    config,
    configDigest: sha256(config),
    layers,
  };
}

export function hostArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

export interface RegistryTarget {
  readonly addr: string;
  readonly tls?: boolean;
  readonly caPem?: string;
  readonly auth?: { username: string; password: string };
}

function call(
  r: RegistryTarget,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  const [host, port] = r.addr.split(':');
  const auth = r.auth
    ? {
        Authorization: `Basic ${Buffer.from(`${r.auth.username}:${r.auth.password}`).toString('base64')}`,
      }
    : {};
  return new Promise((resolve, reject) => {
    const req = (r.tls ? httpsRequest : httpRequest)(
      {
        host,
        port: Number(port),
        method,
        path,
        headers: {
          ...auth,
          ...headers,
          ...(body ? { 'Content-Length': String(body.length) } : {}),
        },
        ...(r.tls && r.caPem ? { ca: r.caPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pushBlob(
  r: RegistryTarget,
  repo: string,
  digest: string,
  data: Buffer,
): Promise<void> {
  const head = await call(r, 'HEAD', `/v2/${repo}/blobs/${digest}`);
  if (head.status === 200) return;
  const start = await call(r, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202)
    throw new Error(`upload start ${repo}: ${start.status} ${start.body.toString()}`);
  const location = new URL(String(start.headers.location), `http://${r.addr}`);
  location.searchParams.set('digest', digest);
  const put = await call(r, 'PUT', `${location.pathname}${location.search}`, data, {
    'Content-Type': 'application/octet-stream',
  });
  if (put.status !== 201) throw new Error(`upload ${digest}: ${put.status} ${put.body.toString()}`);
}

export async function pushManifest(
  r: RegistryTarget,
  repo: string,
  reference: string,
  mediaType: string,
  manifest: Buffer,
): Promise<string> {
  const put = await call(r, 'PUT', `/v2/${repo}/manifests/${reference}`, manifest, {
    'Content-Type': mediaType,
  });
  if (put.status !== 201)
    throw new Error(`manifest ${repo}:${reference}: ${put.status} ${put.body.toString()}`);
  return sha256(manifest);
}

/** Pushes blobs and manifest; returns the manifest digest. */
export async function pushImage(
  r: RegistryTarget,
  repo: string,
  tag: string,
  image: BuiltImage,
): Promise<string> {
  for (const l of image.layers) await pushBlob(r, repo, l.digest, l.data);
  await pushBlob(r, repo, image.configDigest, image.config);
  return pushManifest(r, repo, tag, image.mediaType, image.manifest);
}

/** Pushes several platform images and an index (manifest list) that names them. */
export async function pushIndex(
  r: RegistryTarget,
  repo: string,
  tag: string,
  entries: readonly {
    image: BuiltImage;
    platform: { architecture: string; os: string; variant?: string };
  }[],
  format: 'docker' | 'oci' = 'oci',
): Promise<string> {
  for (const e of entries) await pushImage(r, repo, e.image.manifestDigest, e.image);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MT[format].index,
      manifests: entries.map((e) => ({
        mediaType: e.image.mediaType,
        digest: e.image.manifestDigest,
        size: e.image.manifest.length,
        platform: e.platform,
      })),
    }),
  );
  return pushManifest(r, repo, tag, MT[format].index, index);
}

/** The standard test image: busybox, one gzip layer, CMD ["sh"]. */
export async function buildBusybox(extra: Partial<ImageSpec> = {}): Promise<BuiltImage> {
  return buildImage({ layers: [busyboxRootfs()], ...extra });
}
