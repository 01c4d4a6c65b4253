/**
 * ADD's local archives: a source file that is a tar, plain or compressed, is extracted into the
 * destination instead of copied (moby's isArchivePath: it decompresses and a first tar header
 * parses). The file is opened inside the root by the kernel, like every other source.
 */
import { createReadStream, fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { O_NONBLOCK, O_RDONLY, errnoOf } from '../../confine/confined-fs.js';
import { closeFd, openInRoot } from '../../confine/confined-root.js';
import { decompressStream, detectCompression, MAGIC_BYTES } from './compression.js';
import { peekStream } from './peek-stream.js';
import { TAR_BLOCK, isTarHeader } from './tar-header.js';

export type ArchiveKind = 'gzip' | 'bzip2' | 'xz' | 'tar';

/** What kind of tar `rel` is, or undefined when it is not a (readable, regular) tar file. */
export async function isLocalArchive(
  rootFd: number,
  rel: string,
): Promise<ArchiveKind | undefined> {
  let fd: number;
  try {
    fd = openInRoot(rootFd, rel, O_RDONLY | O_NONBLOCK);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EISDIR')
      return undefined;
    throw e;
  }
  let isFile: boolean;
  try {
    isFile = fstatSync(fd).isFile();
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  if (!isFile) {
    closeFd(fd);
    return undefined;
  }
  // From here the stream owns the descriptor: destroying it closes it.
  const input = createReadStream('', { fd, start: 0 });
  try {
    return await archiveKindOf(input);
  } finally {
    input.destroy();
  }
}

/** What kind of tar the stream holds, or undefined when it is none; the stream stays the caller's. */
export async function archiveKindOf(input: Readable): Promise<ArchiveKind | undefined> {
  try {
    const magic = await peekStream(input, MAGIC_BYTES);
    const c = detectCompression(magic.head);
    // zstd is no format ADD extracts in dockerd's classic builder, which predates it.
    if (c === 'zstd') return undefined;
    const plain = await peekStream(decompressStream(magic.stream, c), TAR_BLOCK);
    plain.stream.destroy();
    if (!isTarHeader(plain.head)) return undefined;
    return c === 'none' ? 'tar' : c;
  } catch {
    // Corrupt compressed data is not an archive: ADD copies such a file as it is, as dockerd does.
    return undefined;
  }
}

/** The tar inside `rel` (decompressed), for extraction; the descriptor closes with the stream. */
export function openArchiveStream(rootFd: number, rel: string, kind: ArchiveKind): Readable {
  const fd = openInRoot(rootFd, rel, O_RDONLY | O_NONBLOCK);
  const file = createReadStream('', { fd, autoClose: true, start: 0 });
  return decompressStream(file, kind === 'tar' ? 'none' : kind);
}
