/**
 * What COPY and ADD read from a root (the build context, or another stage's rootfs held as a
 * descriptor): the sources a pattern names, a tar of them for extraction into the image, and a
 * content checksum for the build cache. Every lookup is confined to the root by the kernel.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../errors.js';
import {
  O_DIRECTORY,
  O_PATH,
  O_RDONLY,
  confined,
  errnoOf,
  isDirMode,
  mtimeOf,
} from '../../confine/confined-fs.js';
import { closeFd, exactChunks, openInRoot } from '../../confine/confined-root.js';
import { END_OF_ARCHIVE, encodeHeader, padding, type TarHeader } from './tar-writer.js';
import { readSmall } from './read-root-file.js';
import { containsWildcards, goMatch, unescapePattern } from './go-match.js';
import {
  fileChunks,
  isSmallFile,
  walkSources,
  type Source,
  type SourceEntry,
} from './source-walk.js';

export type { Source } from './source-walk.js';

export interface CopyOwnership {
  readonly uid: number;
  readonly gid: number;
  /** Replaces the permission bits of files and directories (COPY --chmod). */
  readonly chmod?: number;
}

/**
 * The sources `pattern` names, relative to the root without a leading slash ("." for the root).
 * A plain path must exist (its symlinks followed inside the root); a pattern with wildcards is
 * matched per path component against the tree, as moby's classic builder walks it (symlinked
 * directories are not entered). Throws dockerd's classic-builder messages when nothing matches.
 */
export function matchSources(
  rootFd: number,
  pattern: string,
  cmd: 'COPY' | 'ADD' = 'COPY',
): string[] {
  const clean = cleanSourcePath(pattern);
  if (!containsWildcards(clean)) {
    const rel = unescapePattern(clean);
    if (!existsInRoot(rootFd, rel))
      throw new InvalidArgumentError(
        `${cmd} failed: file not found in build context or excluded by .dockerignore: stat ${rel === '.' ? pattern : rel}: file does not exist`,
      );
    return [rel];
  }
  const found = globInRoot(rootFd, clean.split('/'));
  if (found.length === 0)
    throw new InvalidArgumentError(`${cmd} failed: no source files were specified`);
  return found;
}

/** "/a/./b/", "./a/b" → "a/b"; the root is ".". moby trims one leading "/" or "./" and cleans. */
function cleanSourcePath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.length === 0 ? '.' : parts.join('/');
}

function existsInRoot(rootFd: number, rel: string): boolean {
  try {
    closeFd(openInRoot(rootFd, rel, O_PATH));
    return true;
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return false;
    throw e;
  }
}

/** Depth-first over real directories, one pattern component per level, names sorted. */
function globInRoot(rootFd: number, components: readonly string[]): string[] {
  const sys = confined();
  const out: string[] = [];
  const visit = (dir: number, prefix: string, depth: number): void => {
    const comp = components[depth];
    if (comp === undefined) return;
    const last = depth === components.length - 1;
    for (const child of sys.readdir(dir).sort()) {
      if (!goMatch(comp, child)) continue;
      const rel = prefix === '' ? child : `${prefix}/${child}`;
      if (last) {
        out.push(rel);
        continue;
      }
      if (!isDirMode(sys.lstatat(dir, child).mode)) continue;
      const sub = sys.openat(dir, child, O_RDONLY | O_DIRECTORY, 0);
      try {
        visit(sub, rel, depth + 1);
      } finally {
        closeFd(sub);
      }
    }
  };
  const root = openInRoot(rootFd, '.', O_RDONLY | O_DIRECTORY);
  try {
    visit(root, '', 0);
  } finally {
    closeFd(root);
  }
  return out;
}

/** A tar header for `e` with the ownership and mode overrides applied. */
function headerOf(e: SourceEntry, o: CopyOwnership): TarHeader {
  const perm = e.st.mode & 0o7777;
  return {
    name: e.type === 'directory' ? `${e.name}/` : e.name,
    type: e.type,
    mode: o.chmod !== undefined && e.type !== 'symlink' ? o.chmod & 0o7777 : perm,
    uid: o.uid,
    gid: o.gid,
    size: e.type === 'file' ? e.st.size : 0,
    mtime: mtimeOf(e.st),
    ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
  };
}

/** Small entries are gathered into chunks of about this size: few, large writes downstream. */
const BATCH_BYTES = 1024 * 1024;

/**
 * A tar of `sources` for extraction into an image: each packed under its destName, owned by
 * o.uid/o.gid, mode replaced by o.chmod when given, mtimes kept, symlinks below a source kept as
 * symlinks, hard links within the set kept as links.
 */
export function packSources(
  rootFd: number,
  sources: readonly Source[],
  o: CopyOwnership,
): Readable {
  return packEntries(() => walkSources(rootFd, sources), o);
}

/** packSources over any walk of entries (a directory's, or an indexed context's). */
export function packEntries(walk: () => Iterable<SourceEntry>, o: CopyOwnership): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let batch: Buffer[] = [];
    let size = 0;
    const add = (b: Buffer): void => {
      batch.push(b);
      size += b.length;
    };
    const flush = (): Buffer => {
      const out = Buffer.concat(batch, size);
      batch = [];
      size = 0;
      return out;
    };
    for (const e of walk()) {
      const h = headerOf(e, o);
      for (const b of encodeHeader(h)) add(b);
      if (e.type === 'file' && e.fd !== undefined) {
        if (isSmallFile(h.size)) add(readSmall(e.fd, h.size, e.start));
        else {
          yield flush();
          yield* exactChunks(e.fd, h.size, e.start);
        }
        add(padding(h.size));
      }
      if (size >= BATCH_BYTES) yield flush();
    }
    add(END_OF_ARCHIVE);
    yield flush();
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * `sha256:<hex>` of what packSources would produce, without times: names, types, permission
 * bits, ownership (after the overrides), sizes, link targets and contents, in the walk's stable
 * order. Two copies of a tree that differ only in mtimes give the same sum.
 */
export async function checksumSources(
  rootFd: number,
  sources: readonly Source[],
  o: CopyOwnership,
): Promise<string> {
  return checksumEntries(walkSources(rootFd, sources), o);
}

/** checksumSources over any walk of entries. */
export async function checksumEntries(
  entries: Iterable<SourceEntry>,
  o: CopyOwnership,
): Promise<string> {
  const hash = createHash('sha256');
  for (const e of entries) {
    const h = headerOf(e, o);
    const size = h.size;
    // NUL-separated: no field of a name or a link target can forge the next field.
    hash.update(
      `${e.type}\0${e.name}\0${h.mode.toString(8)}\0${o.uid}\0${o.gid}\0${size}\0${e.linkname ?? ''}\0`,
    );
    if (e.type === 'file' && e.fd !== undefined)
      for await (const chunk of fileChunks(e.fd, size, e.start)) hash.update(chunk);
  }
  return `sha256:${hash.digest('hex')}`;
}
