/**
 * The Dockerfile of a context, found as dockerd finds it (withDockerfileFromContext): the name
 * given (default `Dockerfile`, falling back to `dockerfile`), relative to the context root,
 * resolved inside the context by the kernel, so a symlinked Dockerfile cannot name a host file.
 */
import { InvalidArgumentError } from '../../errors.js';

/** Reads a regular file of the context whole (symlinks resolved inside it); undefined when missing. */
export type ContextFileReader = (rel: string, limit: number) => Buffer | undefined;

export const DEFAULT_DOCKERFILE = 'Dockerfile';
/** A Dockerfile is read into memory whole: one larger than this is not a Dockerfile. */
export const MAX_DOCKERFILE_BYTES = 16 * 1024 * 1024;

/** "/a/./b", "./Dockerfile" → "a/b", "Dockerfile": a name relative to the context root. */
export function dockerfileRel(name: string): string {
  return name
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/** The Dockerfile's text and the relative name it was found under. */
export function readDockerfile(
  read: ContextFileReader,
  requested: string | undefined,
): { text: string; name: string } {
  const given = requested === undefined || requested === '' ? DEFAULT_DOCKERFILE : requested;
  const candidates = [dockerfileRel(given)];
  // dockerd tries the lower-case name only for the default, not for a name the user gave.
  if (given === DEFAULT_DOCKERFILE) candidates.push(given.toLowerCase());
  for (const rel of candidates) {
    const buf = read(rel, MAX_DOCKERFILE_BYTES);
    if (buf === undefined) continue;
    if (buf.length === 0) throw new InvalidArgumentError(`the Dockerfile (${rel}) cannot be empty`);
    return { text: buf.toString('utf8'), name: rel };
  }
  throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${given}`);
}
