/**
 * Extracts an (uncompressed) layer tar into a snapshot directory, streaming: ownership (we are
 * root in the user namespace), modes incl. setuid (chmod after chown), hardlinks, symlinks,
 * mtimes, xattrs where the kernel allows, fifos; device nodes a user namespace cannot create
 * are skipped with a debug log. OCI whiteouts become the driver's form. Nothing is ever written
 * outside the directory: `..`/absolute names are refused and no entry may pass through a
 * symlink. Returns the DiffID (sha256 of the tar as read).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  readdir,
  rm,
  symlink,
  utimes,
} from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError, errnoCode } from '../errors.js';
import type { Logger } from '../log.js';
import { FsopsBatch } from './fsops-batch.js';
import { classifyWhiteout, normalizeEntryName } from './layer-paths.js';
import type { ApplyResult } from './snapshotter.js';

export type WhiteoutMode =
  /** Overlay form: char 0:0 whiteouts, an xattr marks opaque directories. */
  | { readonly kind: 'overlay'; readonly opaqueXattr: string }
  /** Apply as deletions (vfs, and `docker cp`-like extraction). */
  | { readonly kind: 'delete' };

export interface ApplyOptions {
  readonly whiteouts: WhiteoutMode;
  /** Lower layers' directories, top first: hardlink targets not in this layer are copied from there. */
  readonly lowerDirs: readonly string[];
  readonly fsops: string | undefined;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

export async function applyLayer(
  dir: string,
  input: Readable,
  o: ApplyOptions,
): Promise<ApplyResult> {
  const hash = createHash('sha256');
  let size = 0;
  const tee = new PassThrough();
  tee.on('data', (b: Buffer) => {
    hash.update(b);
    size += b.length;
  });
  const ex = tar.extract();
  const feeding = pipeline(
    input,
    tee,
    ex as unknown as NodeJS.WritableStream,
    ...(o.signal ? [{ signal: o.signal }] : []),
  );
  feeding.catch(() => undefined);
  const batch = new FsopsBatch();
  const created = new Set<string>();
  const dirTimes: { path: string; mtime: Date }[] = [];
  const nodes: { path: string; uid: number; gid: number; mode: number; mtime: Date }[] = [];
  for await (const entry of ex) {
    const h = entry.header;
    const rel = normalizeEntryName(h.name);
    const wo = classifyWhiteout(rel);
    if (wo.kind !== 'none') {
      entry.resume();
      await checkParents(dir, wo.kind === 'opaque' ? `${wo.dir}/x` : wo.path);
      if (wo.kind === 'opaque') await opaque(dir, wo.dir, o.whiteouts, batch, created);
      else {
        const p = join(dir, wo.path);
        await rm(p, { recursive: true, force: true });
        if (o.whiteouts.kind === 'overlay') batch.whiteout(p);
      }
      continue;
    }
    const path = rel === '' ? dir : join(dir, rel);
    if (rel !== '') await checkParents(dir, rel);
    const existing = rel === '' ? undefined : await lstat(path).catch(() => undefined);
    if (existing && !(h.type === 'directory' && existing.isDirectory()))
      await rm(path, { recursive: true, force: true });
    created.add(rel);
    switch (h.type) {
      case 'directory':
        if (!existing?.isDirectory() && rel !== '') await mkdir(path, { mode: 0o700 });
        dirTimes.push({ path, mtime: h.mtime });
        entry.resume();
        break;
      case 'file':
      case 'contiguous-file':
        await pipeline(
          entry as unknown as NodeJS.ReadableStream,
          createWriteStream(path, { mode: 0o600 }),
        );
        break;
      case 'symlink':
        await symlink(h.linkname, path);
        entry.resume();
        break;
      case 'link': {
        entry.resume();
        await hardlink(dir, path, normalizeEntryName(h.linkname), o.lowerDirs);
        break;
      }
      case 'fifo':
      case 'character-device':
      case 'block-device': {
        entry.resume();
        const type =
          h.type === 'fifo' ? S_IFIFO : h.type === 'character-device' ? S_IFCHR : S_IFBLK;
        batch.mknod(path, type | (h.mode & 0o7777), h.devmajor, h.devminor);
        nodes.push({ path, uid: h.uid, gid: h.gid, mode: h.mode, mtime: h.mtime });
        continue;
      }
      default:
        entry.resume();
        continue;
    }
    await own(path, h.uid, h.gid, rel);
    if (h.type !== 'symlink') await chmod(path, h.mode & 0o7777);
    if (h.type !== 'directory')
      await (
        h.type === 'symlink' ? lutimes(path, h.mtime, h.mtime) : utimes(path, h.mtime, h.mtime)
      ).catch(() => undefined);
    for (const [k, v] of Object.entries(xattrsOf(h))) {
      if (k.startsWith('security.') || k.startsWith('trusted.'))
        o.log.debug({ path: rel, xattr: k }, 'xattr skipped: not settable in a user namespace');
      else batch.setxattr(path, k, v);
    }
  }
  await feeding;
  for (const failure of await batch.run(o.fsops)) {
    if (/mknod: Operation not permitted/.test(failure))
      o.log.debug({ failure }, 'device node skipped: a user namespace cannot create it');
    else if (/setxattr/.test(failure)) o.log.debug({ failure }, 'xattr not applied');
    else throw new InvalidArgumentError(`applying layer failed: ${failure}`);
  }
  for (const n of nodes) {
    if (!(await lstat(n.path).catch(() => undefined))) continue;
    await own(n.path, n.uid, n.gid, n.path);
    await chmod(n.path, n.mode & 0o7777).catch(() => undefined);
  }
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

/** Every parent of `rel` must be a real directory inside the layer (created if missing). */
async function checkParents(dir: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let cur = dir;
  for (const p of parts) {
    cur = join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) {
      await mkdir(cur, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink())
      throw new InvalidArgumentError(
        `refusing layer entry "${rel}": it goes through the symlink "${cur.slice(dir.length + 1)}"`,
      );
    if (!st.isDirectory())
      throw new InvalidArgumentError(
        `refusing layer entry "${rel}": "${cur.slice(dir.length + 1)}" is not a directory`,
      );
  }
}

async function opaque(
  dir: string,
  rel: string,
  mode: WhiteoutMode,
  batch: FsopsBatch,
  created: ReadonlySet<string>,
): Promise<void> {
  const path = rel === '' ? dir : join(dir, rel);
  await mkdir(path, { recursive: true });
  if (mode.kind === 'overlay') {
    batch.setxattr(path, mode.opaqueXattr, Buffer.from('y'));
    return;
  }
  // vfs: everything the lower layers had in this directory goes; what this layer made stays.
  for (const child of await readdir(path)) {
    const childRel = rel === '' ? child : `${rel}/${child}`;
    if (!created.has(childRel)) await rm(join(path, child), { recursive: true, force: true });
  }
}

async function hardlink(
  dir: string,
  path: string,
  targetRel: string,
  lowerDirs: readonly string[],
): Promise<void> {
  const target = join(dir, targetRel);
  const st = await lstat(target).catch(() => undefined);
  if (st) {
    await link(target, path);
    return;
  }
  // The target lives in a lower layer: this layer gets its own copy (overlay copy-up semantics).
  for (const lower of lowerDirs) {
    const candidate = join(lower, targetRel);
    if (
      await lstat(candidate).then(
        (s) => s.isFile(),
        () => false,
      )
    ) {
      await copyFile(candidate, path);
      return;
    }
  }
  throw new InvalidArgumentError(`hardlink target "${targetRel}" not found in the layer or below`);
}

async function own(path: string, uid: number, gid: number, rel: string): Promise<void> {
  try {
    await lchown(path, uid, gid);
  } catch (e) {
    if (errnoCode(e) === 'EINVAL')
      throw new InvalidArgumentError(
        `container ID ${uid}:${gid} of "${rel}" cannot be mapped to a host ID: the user namespace maps 0-65535`,
      );
    throw e;
  }
}

function xattrsOf(h: { pax?: unknown }): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const pax = h.pax;
  if (typeof pax !== 'object' || pax === null) return out;
  for (const [k, v] of Object.entries(pax as Record<string, unknown>)) {
    if (!k.startsWith('SCHILY.xattr.') || typeof v !== 'string') continue;
    out[k.slice('SCHILY.xattr.'.length)] = Buffer.from(v, 'latin1');
  }
  return out;
}
