/**
 * Extracts a tar (from `docker cp` into a container) into a directory held open as `destFd`,
 * with every file call confined by the kernel: each entry's parent is reached from `destFd`
 * through real directories only (one held descriptor per directory, never a path string), and
 * the entry itself is made with an *at() call that does not follow a symlink. A container that
 * swaps a directory for a symlink while we write cannot steer a write out of its root
 * (CVE-2018-15664). `..` and absolute names are refused; ownership is the tar's with
 * `copyUIDGID`, else the container's root, as dockerd does.
 */
import {
  createWriteStream,
  fchmod as fchmodCb,
  fchmodSync,
  fchown as fchownCb,
  fchownSync,
  futimesSync,
  writeSync,
} from 'node:fs';
import { futimes as futimesCb } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { InvalidArgumentError, archiveError } from '../../../errors.js';
import {
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  confined,
  errnoOf,
  isDirMode,
  isFileMode,
  isSymlinkMode,
  type RawStat,
} from '../../../confine/confined-fs.js';
import { closeFd, openBeneath, splitParent } from '../../../confine/confined-root.js';

const fchown = promisify(fchownCb);
const fchmod = promisify(fchmodCb);
const futimes = promisify(futimesCb);

export interface ExtractOptions {
  readonly noOverwriteDirNonDir: boolean;
  /** undefined: keep the tar's ids. */
  readonly owner?: { uid: number; gid: number };
}

export function safeRelative(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..'))
    throw new InvalidArgumentError(
      `refusing to extract ${name}: it leaves the destination directory`,
    );
  return parts.join('/');
}

/** Directory descriptors below the destination, opened once each and closed at the end. */
class DirCache {
  private readonly fds = new Map<string, number>();

  constructor(private readonly destFd: number) {}

  /** The directory `rel` (created with its parents when missing), reached without a symlink. */
  open(rel: string): number {
    if (rel === '') return this.destFd;
    const cached = this.fds.get(rel);
    if (cached !== undefined) return cached;
    const [parentRel, name] = splitParent(rel);
    const parent = this.open(parentRel);
    const sys = confined();
    let fd: number;
    try {
      fd = sys.openat(parent, name, O_PATH | O_DIRECTORY, 0);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw refusal(parent, name, rel, e);
      sys.mkdirat(parent, name, 0o755);
      fd = sys.openat(parent, name, O_PATH | O_DIRECTORY, 0);
    }
    this.fds.set(rel, fd);
    return fd;
  }

  /** `rel` and what was below it were removed or replaced. */
  forget(rel: string): void {
    for (const [k, fd] of this.fds)
      if (k === rel || k.startsWith(`${rel}/`)) {
        closeFd(fd);
        this.fds.delete(k);
      }
  }

  closeAll(): void {
    for (const fd of this.fds.values()) closeFd(fd);
    this.fds.clear();
  }
}

function refusal(parent: number, name: string, rel: string, e: unknown): Error {
  const st = lstatOrUndefined(parent, name);
  if (st && isSymlinkMode(st.mode))
    return new InvalidArgumentError(`refusing to extract through the symlink /${rel}`);
  if (st && !isDirMode(st.mode))
    return new InvalidArgumentError(`cannot extract into /${rel}: not a directory`);
  return e instanceof Error ? e : new Error(String(e));
}

function lstatOrUndefined(dirFd: number, name: string): RawStat | undefined {
  try {
    return confined().lstatat(dirFd, name);
  } catch {
    return undefined;
  }
}

export async function extractInto(
  destFd: number,
  input: Readable,
  o: ExtractOptions,
): Promise<void> {
  const sys = confined();
  const ex = tar.extract();
  const dirTimes: { rel: string; mtime: Date }[] = [];
  const dirs = new DirCache(destFd);
  const done = pipeline(input, ex as unknown as NodeJS.WritableStream);
  // If we stop early (a refused entry), the pipeline fails with "premature close": the refusal is the error to report.
  done.catch(() => undefined);
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const rel = safeRelative(h.name);
      if (rel === '') {
        entry.resume();
        continue;
      }
      const [parentRel, name] = splitParent(rel);
      const parent = dirs.open(parentRel);
      const existing = lstatOrUndefined(parent, name);
      const isDir = h.type === 'directory';
      const existingIsDir = existing !== undefined && isDirMode(existing.mode);
      if (existing && o.noOverwriteDirNonDir && existingIsDir !== isDir)
        throw new InvalidArgumentError(
          `cannot overwrite ${existingIsDir ? 'directory' : 'non-directory'} ${rel} with ${isDir ? 'directory' : 'non-directory'}`,
        );
      if (existing && !(isDir && existingIsDir)) {
        dirs.forget(rel);
        sys.removeTree(parent, name);
      }
      const uid = o.owner?.uid ?? h.uid;
      const gid = o.owner?.gid ?? h.gid;
      const mode = h.mode & 0o7777;
      const mtime = h.mtime;
      switch (h.type) {
        case 'directory': {
          entry.resume();
          if (!existingIsDir) sys.mkdirat(parent, name, 0o700);
          const fd = sys.openat(parent, name, O_RDONLY | O_DIRECTORY, 0);
          try {
            await setOwner(fd, uid, gid, rel);
            await fchmod(fd, mode);
          } finally {
            closeFd(fd);
          }
          dirTimes.push({ rel, mtime });
          break;
        }
        case 'file':
        case 'contiguous-file': {
          // O_EXCL + O_NOFOLLOW: the name was cleared above; never write through what might be there.
          if (h.size <= SMALL_FILE) {
            // Most files of a context or a layer are small: read whole, written and dated with
            // synchronous calls (microseconds each), instead of a stream and three thread-pool
            // round trips per file, which made a 2,000-file build context take seconds.
            const data = await entryBytes(entry as AsyncIterable<Buffer>);
            const fd = sys.openat(parent, name, O_WRONLY | O_CREAT | O_EXCL, 0o600);
            try {
              for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
              try {
                fchownSync(fd, uid, gid);
              } catch (e) {
                throw ownerError(e, uid, gid, rel);
              }
              fchmodSync(fd, mode);
              try {
                futimesSync(fd, mtime, mtime);
              } catch {
                // as below: times are best effort
              }
            } finally {
              closeFd(fd);
            }
            break;
          }
          const fd = sys.openat(parent, name, O_WRONLY | O_CREAT | O_EXCL, 0o600);
          try {
            await pipeline(
              entry as unknown as NodeJS.ReadableStream,
              createWriteStream('', { fd, autoClose: false }),
            );
            await setOwner(fd, uid, gid, rel);
            await fchmod(fd, mode);
            await futimes(fd, mtime, mtime).catch(() => undefined);
          } finally {
            closeFd(fd);
          }
          break;
        }
        case 'symlink':
          entry.resume();
          sys.symlinkat(h.linkname, parent, name);
          try {
            sys.lchownat(parent, name, uid, gid);
          } catch (e) {
            throw ownerError(e, uid, gid, rel);
          }
          timesAt(parent, name, mtime);
          break;
        case 'link':
          entry.resume();
          hardlink(destFd, safeRelative(h.linkname), parent, name);
          break;
        case 'fifo':
        case 'character-device':
        case 'block-device':
        default:
          // Devices, fifos and the rest: not something `docker cp` should create; skip them.
          entry.resume();
      }
    }
    await done.catch((e: unknown) => {
      throw archiveError(e);
    });
    for (const d of dirTimes.reverse()) {
      try {
        const fd = openBeneath(destFd, d.rel, O_RDONLY | O_DIRECTORY);
        timesAt(fd, '', d.mtime);
        closeFd(fd);
      } catch {
        // the directory went away meanwhile: nothing to date
      }
    }
  } catch (e) {
    throw archiveError(e);
  } finally {
    dirs.closeAll();
  }
}

/**
 * A hard link to a file already in the destination: reached through real directories only, a
 * regular file (not a directory, device or symlink), linked by descriptor so that what we
 * checked is what gets linked.
 */
function hardlink(destFd: number, targetRel: string, parent: number, name: string): void {
  const sys = confined();
  let target: number;
  try {
    target = openBeneath(destFd, targetRel, O_PATH);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'EXDEV' || code === 'ENOTDIR')
      throw new InvalidArgumentError(
        `invalid hardlink target /${targetRel}: not a file inside the destination`,
      );
    throw e;
  }
  try {
    if (!isFileMode(sys.lstatat(target, '').mode))
      throw new InvalidArgumentError(`invalid hardlink target /${targetRel}: not a regular file`);
    sys.linkFd(target, parent, name);
  } finally {
    closeFd(target);
  }
}

/** Files up to this size are written in one synchronous call. */
const SMALL_FILE = 64 * 1024;

async function entryBytes(entry: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of entry) chunks.push(c);
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
}

async function setOwner(fd: number, uid: number, gid: number, rel: string): Promise<void> {
  await fchown(fd, uid, gid).catch((e: unknown) => {
    throw ownerError(e, uid, gid, rel);
  });
}

function ownerError(e: unknown, uid: number, gid: number, rel: string): Error {
  if (errnoOf(e) !== 'EINVAL') return e instanceof Error ? e : new Error(String(e));
  return new InvalidArgumentError(
    `cannot set owner ${uid}:${gid} on ${rel}: the id is outside the user namespace`,
  );
}

function timesAt(dirFd: number, name: string, mtime: Date): void {
  const ms = mtime.getTime();
  const sec = Math.floor(ms / 1000);
  try {
    confined().lutimesat(dirFd, name, sec, (ms - sec * 1000) * 1e6);
  } catch {
    // a filesystem that keeps no times (or refuses them) loses nothing a user relies on
  }
}
