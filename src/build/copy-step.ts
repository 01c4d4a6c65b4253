/**
 * COPY and ADD: the sources, from the build context or another stage's / image's rootfs (both
 * held as root descriptors, read only through src/confine), packed as a tar with the step's
 * ownership and mode, and extracted into a fresh snapshot on the stage's image, mounted for the
 * step. That snapshot is then the step's layer as it is (no second unpack). ADD also extracts
 * local tars and downloads URLs; heredocs (`COPY <<EOF /f`) become files.
 *
 * The cache key holds a checksum of what is copied (contents, modes, ownership; not times), so
 * a build of an unchanged context reuses the step, and a changed file misses it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { openRootDir, closeFd } from '../confine/confined-root.js';
import { extractInto } from '../daemon/containers/archive/extract-into.js';
import { storeLayer } from '../daemon/images/image-from-layer.js';
import { EXTRACT_PREFIX } from '../daemon/images/unpack-layer.js';
import { InvalidArgumentError } from '../errors.js';
import { resolveUser } from '../runtime/spec/resolve-user.js';
import { stepKey } from './build-cache.js';
import { directoryTree, isDirInRoot, type SourceTree } from './context/source-tree.js';
import { fetchUrl } from './context/fetch-url.js';
import { mkdirAllInRoot } from './dest-dir.js';
import type { CopyInstruction } from './dockerfile/instructions.js';
import { lexWords } from './dockerfile/expand-words.js';
import type { StageState } from './stage-state.js';
import { commitStep, nopCommand, probeCache, shortId, type StepContext } from './step-context.js';

/** One thing to put at the destination. */
type Part =
  | {
      readonly kind: 'tree';
      readonly tree: SourceTree;
      readonly rel: string;
      readonly isDir: boolean;
    }
  | {
      readonly kind: 'archive';
      readonly tree: SourceTree;
      readonly rel: string;
      readonly archive: 'gzip' | 'bzip2' | 'xz' | 'tar';
    }
  | { readonly kind: 'heredoc'; readonly name: string; readonly content: string };

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

export async function copyStep(
  sc: StepContext,
  st: StageState,
  ins: CopyInstruction,
  source: SourceTree,
  escape: string,
): Promise<void> {
  const dest = destinationOf(ins.dest, st.runConfig.workingDir);
  const scratch = join(sc.workDir, `add-${randomBytes(6).toString('hex')}`);
  let downloadsFd: number | undefined;
  try {
    const urls = ins.kind === 'ADD' ? ins.sources.filter(isUrl) : [];
    if (ins.kind === 'COPY' && ins.sources.some(isUrl))
      throw new InvalidArgumentError("source can't be a URL for COPY");
    if (urls.length > 0) {
      await mkdir(scratch, { recursive: true, mode: 0o700 });
      for (const u of urls) await download(sc, u, join(scratch, urlFileName(u, dest)));
      downloadsFd = openRootDir(scratch);
    }
    const parts: Part[] = [];
    for (const pattern of ins.sources) {
      const url = isUrl(pattern);
      if (!url) refuseOutside(pattern);
      const tree = url ? directoryTree(downloadsFd as number) : source;
      const rels = url ? [urlFileName(pattern, dest)] : tree.match(pattern, ins.kind);
      for (const rel of rels) {
        const archive = ins.kind === 'ADD' && !url ? await tree.archiveKind(rel) : undefined;
        parts.push(
          archive
            ? { kind: 'archive', tree, rel, archive }
            : { kind: 'tree', tree, rel, isDir: tree.isDir(rel) },
        );
      }
    }
    for (const h of ins.heredocs) {
      // An unquoted delimiter expands variables in the body, quotes and escapes kept (BuildKit).
      const content = h.expand
        ? lexWords(h.content, st.lookup, escape, { rawQuotes: true, rawEscapes: true }).word
        : h.content;
      parts.push({ kind: 'heredoc', name: h.name, content });
    }
    if (parts.length > 1 && !dest.dir)
      throw new InvalidArgumentError(
        `When using ${ins.kind} with more than one source file, the destination must be a directory and end with a /`,
      );
    await copyParts(sc, st, ins, parts, dest);
  } finally {
    closeFd(downloadsFd);
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** dockerd refuses a source that leaves the context (`../x`), where a chroot would clamp it. */
function refuseOutside(pattern: string): void {
  const joined = posix.join('/context', pattern);
  if (joined !== '/context' && !joined.startsWith('/context/'))
    throw new InvalidArgumentError(`forbidden path outside the build context: ${pattern} ()`);
}

/** The absolute destination; `dir` when it names a directory by its form (trailing "/", "."). */
function destinationOf(raw: string, workingDir: string): { path: string; dir: boolean } {
  const dir = raw.endsWith('/') || raw === '.' || raw.endsWith('/.');
  const path = posix.resolve('/', workingDir || '/', raw);
  return { path, dir };
}

async function copyParts(
  sc: StepContext,
  st: StageState,
  ins: CopyInstruction,
  parts: readonly Part[],
  dest: { path: string; dir: boolean },
): Promise<void> {
  const chmod = ins.chmod !== undefined ? parseInt(ins.chmod, 8) : undefined;
  // The key needs no mount: the parent image (in the key) decides what a --chown name means.
  const sum = await checksum(parts, chmod);
  // dockerd writes the destination as the Dockerfile has it (the WORKDIR is in the key's config).
  const containerCmd = nopCommand(st, `${ins.kind} ${sum} in ${ins.dest} `, true);
  const createdBy = containerCmd.join(' ');
  const key = stepKey(st.imageId, `${createdBy}\0${ins.chown ?? ''}`, st.runConfig);
  if (await probeCache(sc, st, createdBy, key)) return;
  const parentChain = st.image?.chainIds.at(-1);
  const snapshotKey = `${EXTRACT_PREFIX}build-${randomBytes(6).toString('hex')}`;
  const target = join(sc.workDir, `mnt-${randomBytes(6).toString('hex')}`);
  const snapshots = sc.images.ctx.snapshots;
  const mounts = await snapshots.prepare(snapshotKey, parentChain);
  let consumed = false;
  let rootFd: number | undefined;
  try {
    await mkdir(target, { recursive: true, mode: 0o700 });
    await sc.mounter.mount(mounts, target);
    rootFd = openRootDir(target);
    const owner = ins.chown ? await chownIds(target, ins.chown) : { uid: 0, gid: 0 };
    const own = { ...owner, ...(chmod !== undefined ? { chmod } : {}) };
    // A single file copied to a name that is not an existing directory takes that name.
    const only = parts[0];
    const intoDir =
      dest.dir ||
      parts.length > 1 ||
      only?.kind === 'archive' ||
      (only?.kind === 'tree' && only.isDir) ||
      isDirInRoot(rootFd, dest.path);
    const destFd = mkdirAllInRoot(rootFd, intoDir ? dest.path : posix.dirname(dest.path), owner);
    try {
      for (const p of parts)
        await extractInto(
          destFd,
          streamOf(p, intoDir ? defaultName(p) : posix.basename(dest.path), own),
          {
            noOverwriteDirNonDir: false,
          },
        );
    } finally {
      closeFd(destFd);
    }
    closeFd(rootFd);
    rootFd = undefined;
    await sc.mounter.unmount(target);
    consumed = true;
    const layer = await storeLayer(sc.images.ctx, snapshots.diffTar(snapshotKey), {
      ...(parentChain ? { parentChainId: parentChain } : {}),
      writtenSnapshot: snapshotKey,
    });
    const id = await commitStep(sc, st, {
      createdBy,
      key,
      containerCmd,
      layer,
    });
    sc.out.say(` ---> ${shortId(id)}\n`);
  } finally {
    closeFd(rootFd);
    await sc.mounter.unmount(target).catch(() => undefined);
    await rm(target, { recursive: true, force: true }).catch(() => undefined);
    if (!consumed) await snapshots.remove(snapshotKey).catch(() => undefined);
  }
}

/** The name a part gets inside a destination directory ("" = a directory's contents go there). */
function defaultName(p: Part): string {
  if (p.kind === 'heredoc') return p.name;
  if (p.kind === 'archive') return '';
  return p.isDir ? '' : posix.basename(p.rel);
}

/** `--chown=user[:group]`: names from the image's own passwd/group; a lone user is also the group. */
async function chownIds(rootfs: string, spec: string): Promise<{ uid: number; gid: number }> {
  const [user = '', group] = spec.split(':');
  const r = await resolveUser(
    rootfs,
    `${user}:${group !== undefined && group !== '' ? group : user}`,
    [],
  );
  return { uid: r.uid, gid: r.gid };
}

function streamOf(
  p: Part,
  name: string,
  own: { uid: number; gid: number; chmod?: number },
): Readable {
  switch (p.kind) {
    case 'tree':
      return p.tree.pack([{ rel: p.rel, destName: name }], own);
    case 'archive':
      return p.tree.openArchive(p.rel, p.archive);
    case 'heredoc':
      return heredocTar(name, p.content, own);
  }
}

function heredocTar(
  name: string,
  content: string,
  own: { uid: number; gid: number; chmod?: number },
): Readable {
  const pack = tar.pack();
  const body = Buffer.from(content, 'utf8');
  pack.entry(
    {
      name,
      type: 'file',
      size: body.length,
      mode: own.chmod ?? 0o644,
      uid: own.uid,
      gid: own.gid,
      mtime: new Date(),
    },
    body,
  );
  pack.finalize();
  return Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
}

/** dockerd's history text for the sources: `file:<sum>`, `dir:<sum>`, or `multi:<sum>`. */
async function checksum(parts: readonly Part[], chmod: number | undefined): Promise<string> {
  const own = { uid: 0, gid: 0, ...(chmod !== undefined ? { chmod } : {}) };
  const sums: string[] = [];
  for (const p of parts) {
    // An archive is summed as the file it is (its content), not as what it unpacks to.
    const name = p.kind === 'archive' ? posix.basename(p.rel) : defaultName(p);
    sums.push(
      p.kind === 'heredoc'
        ? createHash('sha256')
            .update(`${name}\0${chmod ?? ''}\0${p.content}`)
            .digest('hex')
        : (await p.tree.checksum([{ rel: p.rel, destName: name }], own)).replace(/^sha256:/, ''),
    );
  }
  const only = parts[0];
  if (parts.length === 1 && only)
    return `${only.kind === 'tree' && only.isDir ? 'dir' : 'file'}:${sums[0] ?? ''}`;
  return `multi:${createHash('sha256').update(sums.join('\n')).digest('hex')}`;
}

/** ADD <url>: the file lands in the scratch directory, mode 0600, dated by Last-Modified (dockerd). */
async function download(sc: StepContext, url: string, file: string): Promise<void> {
  const got = await fetchUrl(url, sc.signal);
  await pipeline(got.body, createWriteStream(file, { mode: 0o600 }));
  if (got.lastModified) await utimes(file, got.lastModified, got.lastModified);
}

/** The downloaded file's name: the destination's when it names a file, else the URL's last segment. */
function urlFileName(url: string, dest: { path: string; dir: boolean }): string {
  if (!dest.dir) return posix.basename(dest.path);
  const last = new URL(url).pathname
    .split('/')
    .filter((s) => s !== '')
    .at(-1);
  return last ?? 'download';
}
