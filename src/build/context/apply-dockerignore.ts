/**
 * `.dockerignore` applied to an extracted context: every ignored file and directory removed, by
 * descriptors and *at() calls only (the tree came from a client's tar). dockerd reads the
 * Dockerfile and `.dockerignore` before this, so both go too when they match, as in
 * moby's removeDockerfile. Matching is @balena/dockerignore, a port of moby's own matcher.
 */
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';
import { O_DIRECTORY, O_RDONLY, confined, isDirMode } from '../../confine/confined-fs.js';
import { closeFd, openInRoot } from '../../confine/confined-root.js';
import type { ContextFileReader } from './read-dockerfile.js';

/**
 * The package is CommonJS (`module.exports = factory`) while its typings declare a default
 * export, which nodenext resolution reads as `{ default }`: load it the way it is written.
 */
const ignore = createRequire(import.meta.url)('@balena/dockerignore') as (o?: {
  ignorecase?: boolean;
}) => Ignore;

const DOCKERIGNORE = '.dockerignore';
const MAX_DOCKERIGNORE_BYTES = 1024 * 1024;

/** The patterns of the context's .dockerignore; undefined when it has none. */
export function readDockerignore(read: ContextFileReader): string | undefined {
  return read(DOCKERIGNORE, MAX_DOCKERIGNORE_BYTES)?.toString('utf8');
}

/** The matcher for `patterns`, and whether it has `!` exceptions (which make excluded directories worth entering). */
export function dockerignoreMatcher(patterns: string): {
  ignores: (rel: string) => boolean;
  hasExceptions: boolean;
} {
  const ig = ignore({}).add(patterns);
  return {
    ignores: (rel) => ig.ignores(rel),
    hasExceptions: patterns.split(/\r?\n/).some((l) => l.trim().startsWith('!')),
  };
}

/**
 * Removes what `patterns` exclude from the tree below `rootFd`. An excluded directory is entered
 * only when an exception (`!...`) could re-include something in it, and then kept only if
 * something was; the rest of it goes without being walked.
 */
export function applyDockerignore(rootFd: number, patterns: string): void {
  const { ignores, hasExceptions } = dockerignoreMatcher(patterns);
  const root = openInRoot(rootFd, '.', O_RDONLY | O_DIRECTORY);
  try {
    prune(root, '', ignores, hasExceptions);
  } finally {
    closeFd(root);
  }
}

/** Prunes the directory `dir` (at `prefix`); true when something in it survived. */
function prune(
  dir: number,
  prefix: string,
  ignores: (rel: string) => boolean,
  hasExceptions: boolean,
): boolean {
  const sys = confined();
  let kept = false;
  for (const child of sys.readdir(dir)) {
    const rel = prefix === '' ? child : `${prefix}/${child}`;
    const ignored = ignores(rel);
    const isDir = isDirMode(sys.lstatat(dir, child).mode);
    if (isDir && (!ignored || hasExceptions)) {
      const sub = sys.openat(dir, child, O_RDONLY | O_DIRECTORY, 0);
      let survived: boolean;
      try {
        survived = prune(sub, rel, ignores, hasExceptions);
      } finally {
        closeFd(sub);
      }
      if (ignored && !survived) sys.removeTree(dir, child);
      else kept = true;
    } else if (ignored) sys.removeTree(dir, child);
    else kept = true;
  }
  return kept;
}
