/**
 * The build context of `POST /build`, made local: the uploaded tar (or bare Dockerfile), or the
 * `remote` git repository or URL, placed in a fresh 0700 directory under skiffd's own tmpRoot,
 * its Dockerfile read, then its `.dockerignore` applied, in dockerd's order
 * (builder/remotecontext/detect.go). Every lookup in it goes through a held root descriptor.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import { O_DIRECTORY, O_PATH, confined, errnoOf } from '../../confine/confined-fs.js';
import { closeFd, openInRoot, openRootDir } from '../../confine/confined-root.js';
import { applyDockerignore, dockerignoreMatcher, readDockerignore } from './apply-dockerignore.js';
import { fetchUrl } from './fetch-url.js';
import { cloneGit, isGitUrl, parseGitUrl, type GitOptions } from './git-context.js';
import { ingestBody } from './ingest-body.js';
import {
  DEFAULT_DOCKERFILE,
  dockerfileRel,
  readDockerfile,
  type ContextFileReader,
} from './read-dockerfile.js';
import type { IndexedContext } from './indexed-context.js';
import { readRootFile } from './read-root-file.js';
import { directoryTree, indexedTree, type SourceTree } from './source-tree.js';

export interface BuildContext {
  /** What COPY/ADD read: the indexed upload, or the directory of a git checkout. */
  readonly tree: SourceTree;
  readonly dockerfileText: string;
  /** The Dockerfile's name relative to the context root, as found ("dockerfile" after the fallback). */
  readonly dockerfileName: string;
  /** Closes what is held and removes the context's files; safe to call more than once. */
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

/** An uploaded context's file contents, in the context's own directory (indexed-context.ts). */
const CONTEXT_BLOB = 'context.blob';

export async function receiveContext(o: ReceiveOptions): Promise<BuildContext> {
  const top = await mkdtemp(join(o.tmpRoot, 'context-'));
  const fds: number[] = [];
  const hold = (fd: number): number => (fds.push(fd), fd);
  let index: IndexedContext | undefined;
  let done = false;
  const cleanup = async (): Promise<void> => {
    if (done) return;
    done = true;
    index?.close();
    for (const fd of fds) closeFd(fd);
    await removeDir(o.tmpRoot, top);
  };
  try {
    const topFd = hold(openRootDir(top));
    const local = await place(o, top, topFd);
    index = local.index;
    const c = index ? indexedContext(index) : directoryContext(hold(rootOf(topFd, local.subdir)));
    const df =
      local.inline !== undefined
        ? inlineDockerfile(local.inline, o.dockerfile)
        : readDockerfile(c.read, o.dockerfile);
    const patterns = readDockerignore(c.read);
    if (patterns !== undefined) c.ignore(patterns);
    return { tree: c.tree, dockerfileText: df.text, dockerfileName: df.name, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

interface LocalContext {
  readonly tree: SourceTree;
  readonly read: ContextFileReader;
  readonly ignore: (patterns: string) => void;
}

function indexedContext(index: IndexedContext): LocalContext {
  return {
    tree: indexedTree(index),
    read: (rel, limit) => index.readFile(rel, limit),
    ignore: (patterns) => {
      const m = dockerignoreMatcher(patterns);
      index.applyIgnore(m.ignores, m.hasExceptions);
    },
  };
}

function directoryContext(rootFd: number): LocalContext {
  return {
    tree: directoryTree(rootFd),
    read: (rel, limit) => readRootFile(rootFd, rel, limit),
    ignore: (patterns) => {
      applyDockerignore(rootFd, patterns);
    },
  };
}

/** The context root: the checkout's top, or a git `#ref:subdir` in it (a new descriptor either way). */
function rootOf(topFd: number, subdir: string | undefined): number {
  return subdir === undefined
    ? openInRoot(topFd, '.', O_PATH | O_DIRECTORY)
    : openSubdir(topFd, subdir);
}

/** The context's content in `top`: a subdir of it for a git `#ref:subdir`, or a Dockerfile's text. */
async function place(
  o: ReceiveOptions,
  top: string,
  topFd: number,
): Promise<{ subdir?: string; inline?: string; index?: IndexedContext }> {
  const remote = o.remote ?? '';
  if (remote === '') {
    const got = await ingestBody(addAbortSignal(o.signal, o.body), join(top, CONTEXT_BLOB));
    return got.kind === 'tar' ? { index: got.index } : { inline: got.text };
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
      const got = await ingestBody(res.body, join(top, CONTEXT_BLOB));
      return got.kind === 'tar' ? { index: got.index } : { inline: got.text };
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
