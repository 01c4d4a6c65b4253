/**
 * The build context of `POST /build`, made local: the uploaded tar (or bare Dockerfile), or the
 * `remote` git repository or URL, placed in a fresh 0700 directory under skiffd's own tmpRoot,
 * its Dockerfile read, then its `.dockerignore` applied, in dockerd's order
 * (builder/remotecontext/detect.go). Every lookup in it goes through a held root descriptor.
 */
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import { O_DIRECTORY, O_PATH, confined, errnoOf } from '../../confine/confined-fs.js';
import { closeFd, openInRoot, openRootDir } from '../../confine/confined-root.js';
import { applyDockerignore, readDockerignore } from './apply-dockerignore.js';
import { fetchUrl } from './fetch-url.js';
import { cloneGit, isGitUrl, parseGitUrl, type GitOptions } from './git-context.js';
import { ingestBody } from './ingest-body.js';
import { DEFAULT_DOCKERFILE, dockerfileRel, readDockerfile } from './read-dockerfile.js';

export interface BuildContext {
  /** The context's directory (skiffd's own path, under tmpRoot). */
  readonly dir: string;
  /** held O_PATH descriptor of dir, the root for confined lookups */
  readonly rootFd: number;
  readonly dockerfileText: string;
  /** The Dockerfile's name relative to the context root, as found ("dockerfile" after the fallback). */
  readonly dockerfileName: string;
  /** Closes rootFd and removes the directory; safe to call more than once. */
  cleanup(): Promise<void>;
}

export interface ReceiveOptions {
  /** The request body: a tar, plain or compressed, or a Dockerfile. Ignored with `remote`. */
  readonly body: Readable;
  /** `remote` of POST /build: a git repository or an http(s) URL of a tar or a Dockerfile. */
  readonly remote?: string;
  /** `dockerfile` of POST /build, relative to the context root; default `Dockerfile`. */
  readonly dockerfile?: string;
  /** A directory of skiffd's own (never a client's) that holds the context directories. */
  readonly tmpRoot: string;
  readonly signal: AbortSignal;
  readonly git?: GitOptions;
  /** Connect/headers deadline and idle limit for a remote URL; default 30 s. */
  readonly fetchTimeoutMs?: number;
}

export async function receiveContext(o: ReceiveOptions): Promise<BuildContext> {
  const top = await mkdtemp(join(o.tmpRoot, 'context-'));
  const fds: number[] = [];
  const hold = (fd: number): number => (fds.push(fd), fd);
  let done = false;
  const cleanup = async (): Promise<void> => {
    if (done) return;
    done = true;
    for (const fd of fds) closeFd(fd);
    await removeDir(o.tmpRoot, top);
  };
  try {
    const topFd = hold(openRootDir(top));
    const local = await place(o, top, topFd);
    const rootFd = local.subdir === undefined ? topFd : hold(openSubdir(topFd, local.subdir));
    const dir = rootFd === topFd ? top : await readlink(`/proc/self/fd/${rootFd}`);
    const df =
      local.inline !== undefined
        ? inlineDockerfile(local.inline, o.dockerfile)
        : readDockerfile(rootFd, o.dockerfile);
    const patterns = readDockerignore(rootFd);
    if (patterns !== undefined) applyDockerignore(rootFd, patterns);
    return { dir, rootFd, dockerfileText: df.text, dockerfileName: df.name, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The context's content in `top`: a subdir of it for a git `#ref:subdir`, or a Dockerfile's text. */
async function place(
  o: ReceiveOptions,
  top: string,
  topFd: number,
): Promise<{ subdir?: string; inline?: string }> {
  const remote = o.remote ?? '';
  if (remote === '') {
    const got = await ingestBody(addAbortSignal(o.signal, o.body), topFd);
    return got.kind === 'tar' ? {} : { inline: got.text };
  }
  // With a remote context the body carries nothing: let it go.
  o.body.resume();
  if (isGitUrl(remote)) {
    const r = parseGitUrl(remote);
    await cloneGit(r, top, o.signal, o.git);
    // BuildKit's default: the repository's history is not part of the context.
    confined().removeTree(topFd, '.git');
    return r.subdir === '' ? {} : { subdir: r.subdir };
  }
  if (remote.startsWith('http://') || remote.startsWith('https://')) {
    try {
      const res = await fetchUrl(remote, o.signal, { timeoutMs: o.fetchTimeoutMs });
      const got = await ingestBody(res.body, topFd);
      return got.kind === 'tar' ? {} : { inline: got.text };
    } catch (e) {
      if (o.signal.aborted) throw e;
      throw new InvalidArgumentError(
        `error downloading remote context ${remote}: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    }
  }
  throw new InvalidArgumentError(`remoteURL (${remote}) could not be recognized as URL`);
}

function inlineDockerfile(
  text: string,
  requested: string | undefined,
): { text: string; name: string } {
  const name = dockerfileRel(requested ?? DEFAULT_DOCKERFILE) || DEFAULT_DOCKERFILE;
  if (text.length === 0) throw new InvalidArgumentError(`the Dockerfile (${name}) cannot be empty`);
  return { text, name };
}

/** A git `#ref:subdir`, resolved inside the checkout (moby's FollowSymlinkInScope). */
function openSubdir(topFd: number, subdir: string): number {
  try {
    return openInRoot(topFd, subdir, O_PATH | O_DIRECTORY);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOTDIR')
      throw new InvalidArgumentError(`error setting git context, not a directory: ${subdir}`);
    if (code === 'ENOENT' || code === 'ELOOP')
      throw new InvalidArgumentError(`error setting git context, ${subdir}: no such directory`);
    throw e;
  }
}

/**
 * Removes the context directory through a descriptor of tmpRoot (the tree came from a client);
 * a tree deeper than the confined remover walks falls back to rm, which never follows a symlink.
 */
async function removeDir(tmpRoot: string, dir: string): Promise<void> {
  let parent: number | undefined;
  try {
    parent = openRootDir(tmpRoot);
    confined().removeTree(parent, basename(dir));
  } catch {
    await rm(dir, { recursive: true, force: true });
  } finally {
    closeFd(parent);
  }
}
