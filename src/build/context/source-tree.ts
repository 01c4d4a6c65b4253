/**
 * What COPY and ADD read from: the build context (an indexed tar, or a directory for a git
 * context) or another stage's or image's rootfs (a directory held as a root descriptor). One
 * interface, so the copy step does not care which.
 */
import type { Readable } from 'node:stream';
import { O_PATH, confined, errnoOf, isDirMode } from '../../confine/confined-fs.js';
import { closeFd, openInRoot } from '../../confine/confined-root.js';
import { decompressStream } from './compression.js';
import {
  archiveKindOf,
  isLocalArchive,
  openArchiveStream,
  type ArchiveKind,
} from './add-archive.js';
import { checksumEntries, matchSources, packEntries, type CopyOwnership } from './copy-sources.js';
import type { IndexedContext } from './indexed-context.js';
import { walkSources, type Source } from './source-walk.js';

export interface SourceTree {
  match(pattern: string, cmd: 'COPY' | 'ADD'): string[];
  isDir(rel: string): boolean;
  checksum(sources: readonly Source[], o: CopyOwnership): Promise<string>;
  pack(sources: readonly Source[], o: CopyOwnership): Readable;
  /** ADD: whether `rel` is a tar (plain or compressed) to extract. */
  archiveKind(rel: string): Promise<ArchiveKind | undefined>;
  openArchive(rel: string, kind: ArchiveKind): Readable;
}

export function directoryTree(rootFd: number): SourceTree {
  return {
    match: (pattern, cmd) => matchSources(rootFd, pattern, cmd),
    isDir: (rel) => isDirInRoot(rootFd, rel),
    checksum: (sources, o) => checksumEntries(walkSources(rootFd, sources), o),
    pack: (sources, o) => packEntries(() => walkSources(rootFd, sources), o),
    archiveKind: (rel) => isLocalArchive(rootFd, rel),
    openArchive: (rel, kind) => openArchiveStream(rootFd, rel, kind),
  };
}

export function indexedTree(ctx: IndexedContext): SourceTree {
  return {
    match: (pattern, cmd) => ctx.match(pattern, cmd),
    isDir: (rel) => ctx.isDir(rel),
    checksum: (sources, o) => checksumEntries(ctx.walk(sources), o),
    pack: (sources, o) => packEntries(() => ctx.walk(sources), o),
    archiveKind: async (rel) => {
      if (ctx.isDir(rel)) return undefined;
      const input = ctx.openFile(rel);
      try {
        return await archiveKindOf(input);
      } finally {
        input.destroy();
      }
    },
    openArchive: (rel, kind) => decompressStream(ctx.openFile(rel), kind === 'tar' ? 'none' : kind),
  };
}

/** Whether `path` is an existing directory in the root (symlinks followed inside it). */
export function isDirInRoot(rootFd: number, path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openInRoot(rootFd, path, O_PATH);
    return isDirMode(confined().lstatat(fd, '').mode);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return false;
    throw e;
  } finally {
    closeFd(fd);
  }
}
