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
import { copyFile, link, lstat, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError, archiveError } from '../errors.js';
import type { Logger } from '../log.js';
import { FsopsBatch } from './fsops-batch.js';
import { LayerIndex } from './layer-index.js';
import { PendingWrites } from './pending-writes.js';
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
  // Before the tar starts flowing: the extract stream's iterator must be attached at once.
  const index = new LayerIndex(dir, (await readdir(dir)).length === 0);
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
  // Writes overlap the parsing only where the index answers from memory (see LayerIndex); every
  // step that could meet a file still being written waits for all of them first.
  const writes = index.startedEmpty ? new PendingWrites() : undefined;
  const remove = async (rel: string): Promise<void> => {
    // The layer root is the snapshot itself: nothing in a tar may remove or replace it.
    if (rel === '') throw new InvalidArgumentError('refusing to remove or replace the layer root');
    await writes?.flush();
    const p = join(dir, rel);
    await rm(p, { recursive: true, force: true });
    index.forget(rel);
    batch.forget(p);
  };
  try {
    await extractEntries();
  } catch (e) {
    // Nothing may still be writing when the caller removes the half-made snapshot.
    await writes?.flush().catch(() => undefined);
    throw archiveError(e);
  }
  async function extractEntries(): Promise<void> {
    for await (const entry of ex) {
      const h = entry.header;
      const rel = normalizeEntryName(h.name);
      const wo = classifyWhiteout(rel);
      if (wo.kind !== 'none') {
        entry.resume();
        await checkParents(dir, index, wo.kind === 'opaque' ? `${wo.dir}/x` : wo.path, true);
        if (wo.kind === 'opaque') await opaque(dir, wo.dir, o.whiteouts, batch, created, remove);
        else {
          await remove(wo.path);
          if (o.whiteouts.kind === 'overlay') batch.whiteout(join(dir, wo.path));
        }
        continue;
      }
      if (rel === '' && h.type !== 'directory') {
        entry.resume();
        throw new InvalidArgumentError(
          `refusing layer entry "${h.name}": it names the layer root, which only a directory may`,
        );
      }
      const path = rel === '' ? dir : join(dir, rel);
      if (rel !== '') await checkParents(dir, index, rel, true);
      const existing = await index.kindOf(rel);
      if (existing && !(h.type === 'directory' && existing === 'dir')) await remove(rel);
      created.add(rel);
      const meta = { uid: h.uid, gid: h.gid, mode: h.mode, mtime: h.mtime };
      switch (h.type) {
        case 'directory':
          entry.resume();
          if (existing !== 'dir') {
            await mkdir(path, { mode: 0o700 });
            index.record(rel, 'dir');
          }
          batch.dirMeta(path, meta);
          break;
        case 'file':
        case 'contiguous-file':
          await writeEntry(entry, path, h.size, writes);
          index.record(rel, 'other');
          batch.meta(path, meta, false);
          break;
        case 'symlink':
          entry.resume();
          await symlink(h.linkname, path);
          index.record(rel, 'symlink');
          batch.meta(path, meta, true);
          break;
        case 'link':
          entry.resume();
          await writes?.flush();
          await hardlink(dir, path, normalizeEntryName(h.linkname), o.lowerDirs, index);
          index.record(rel, 'other');
          batch.meta(path, meta, false);
          break;
        case 'fifo':
        case 'character-device':
        case 'block-device': {
          entry.resume();
          const type =
            h.type === 'fifo' ? S_IFIFO : h.type === 'character-device' ? S_IFCHR : S_IFBLK;
          batch.mknod(path, type | (h.mode & 0o7777), h.devmajor, h.devminor);
          index.record(rel, 'other');
          // Skipped by skiff-fsops when the node could not be made.
          batch.meta(path, meta, false);
          break;
        }
        default:
          entry.resume();
          continue;
      }
      for (const [k, v] of Object.entries(xattrsOf(h))) {
        if (k.startsWith('security.') || k.startsWith('trusted.'))
          o.log.debug({ path: rel, xattr: k }, 'xattr skipped: not settable in a user namespace');
        else batch.setxattr(path, k, v);
      }
    }
  }
  await feeding.catch((e: unknown) => {
    throw archiveError(e);
  });
  await writes?.flush();
  for (const failure of await batch.run(o.fsops)) {
    if (/mknod: Operation not permitted/.test(failure))
      o.log.debug({ failure }, 'device node skipped: a user namespace cannot create it');
    else if (/setxattr/.test(failure)) o.log.debug({ failure }, 'xattr not applied');
    else throw new InvalidArgumentError(`applying layer failed: ${describeFailure(dir, failure)}`);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

/** Files up to this size are read whole and written with one call: most of a layer's files. */
const SMALL_FILE = 256 * 1024;

async function writeEntry(
  entry: AsyncIterable<unknown>,
  path: string,
  size: number,
  writes: PendingWrites | undefined,
): Promise<void> {
  // O_EXCL: the path was cleared above; never write through whatever might be there.
  if (size <= SMALL_FILE) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    const data = Buffer.concat(chunks);
    const write = (): Promise<void> => writeFile(path, data, { mode: 0o600, flag: 'wx' });
    if (writes) await writes.add(data.length, write);
    else await write();
    return;
  }
  await pipeline(
    entry as unknown as NodeJS.ReadableStream,
    createWriteStream(path, { mode: 0o600, flags: 'wx' }),
  );
}

/** A skiff-fsops failure line, in the words a user can act on. */
function describeFailure(dir: string, failure: string): string {
  const unmapped = /^(.*): lchown (\d+):(\d+): Invalid argument$/.exec(failure);
  if (unmapped) {
    const rel = (unmapped[1] ?? '').slice(dir.length + 1) || '/';
    return `container ID ${unmapped[2]}:${unmapped[3]} of "${rel}" cannot be mapped to a host ID: the user namespace maps 0-65535`;
  }
  return failure.startsWith(dir) ? failure.slice(dir.length + 1) : failure;
}

/**
 * Every parent of `rel` must be a real directory inside the layer: missing ones are created
 * (`create`) or refused; a symlink or a non-directory on the way is refused.
 */
async function checkParents(
  dir: string,
  index: LayerIndex,
  rel: string,
  create: boolean,
): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let cur = '';
  for (const p of parts) {
    cur = cur === '' ? p : `${cur}/${p}`;
    const kind = await index.kindOf(cur);
    if (kind === 'dir') continue;
    if (kind === undefined) {
      if (!create)
        throw new InvalidArgumentError(`refusing layer entry "${rel}": "${cur}" does not exist`);
      await mkdir(join(dir, cur), { mode: 0o755 });
      index.record(cur, 'dir');
      continue;
    }
    throw new InvalidArgumentError(
      kind === 'symlink'
        ? `refusing layer entry "${rel}": it goes through the symlink "${cur}"`
        : `refusing layer entry "${rel}": "${cur}" is not a directory`,
    );
  }
}

async function opaque(
  dir: string,
  rel: string,
  mode: WhiteoutMode,
  batch: FsopsBatch,
  created: ReadonlySet<string>,
  remove: (rel: string) => Promise<void>,
): Promise<void> {
  const path = rel === '' ? dir : join(dir, rel);
  if (mode.kind === 'overlay') {
    batch.setxattr(path, mode.opaqueXattr, Buffer.from('y'));
    return;
  }
  // vfs: everything the lower layers had in this directory goes; what this layer made stays.
  for (const child of await readdir(path)) {
    const childRel = rel === '' ? child : `${rel}/${child}`;
    if (!created.has(childRel)) await remove(childRel);
  }
}

async function hardlink(
  dir: string,
  path: string,
  targetRel: string,
  lowerDirs: readonly string[],
  index: LayerIndex,
): Promise<void> {
  const kind = await index.kindOf(targetRel);
  if (kind !== undefined) {
    // link() follows symlinks on the way to the target: none may be there.
    await checkParents(dir, index, targetRel, false);
    if (kind === 'dir')
      throw new InvalidArgumentError(`hardlink target "${targetRel}" is a directory`);
    await link(join(dir, targetRel), path);
    return;
  }
  // The target lives in a lower layer: this layer gets its own copy (overlay copy-up semantics).
  for (const lower of lowerDirs) {
    if (await isPlainFileBeneath(lower, targetRel)) {
      await copyFile(join(lower, targetRel), path);
      return;
    }
  }
  throw new MissingLinkTargetError(targetRel);
}

/**
 * A hardlink to a file neither in the layer nor below it. Also what a layer applied without its
 * parent in place meets when it links to a parent's file: the caller then applies it again on
 * top of the parent.
 */
export class MissingLinkTargetError extends InvalidArgumentError {
  constructor(readonly target: string) {
    super(`hardlink target "${target}" not found in the layer or below`);
  }
}

/** A regular file reached from `base` through real directories only (no symlink on the way). */
async function isPlainFileBeneath(base: string, rel: string): Promise<boolean> {
  const parts = rel.split('/');
  let cur = base;
  for (const [i, p] of parts.entries()) {
    cur = join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) return false;
    if (i === parts.length - 1) return st.isFile();
    if (!st.isDirectory()) return false;
  }
  return false;
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
