/**
 * Image references normalised exactly as Docker does (distribution/reference): `busybox` →
 * `docker.io/library/busybox:latest`; a first component with a dot or colon, or `localhost`,
 * is a registry host; tags and digests validated; errors with Docker's wording.
 */
import { InvalidArgumentError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DOMAIN = 'index.docker.io';

export interface ImageReference {
  /** Registry host[:port], e.g. docker.io, 127.0.0.1:5000. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. library/busybox. */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d+)?$/;

const invalid = (): InvalidArgumentError => new InvalidArgumentError('invalid reference format');

export function parseReference(text: string): ImageReference {
  if (text === '' || text.length > 255 * 2) throw invalid();
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid();
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalid();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid();
  }
  // Distribution's NameTotalLengthMax: the name as given, before docker.io/library is added.
  if (rest.length > 255)
    throw new InvalidArgumentError('repository name must not be more than 255 characters');
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  if (
    slash >= 0 &&
    (first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase())
  ) {
    if (!DOMAIN.test(first)) throw invalid();
    domain = first;
    path = rest.slice(slash + 1);
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (path === '') throw invalid();
  if (path !== path.toLowerCase())
    throw new InvalidArgumentError(
      `invalid reference format: repository name (${path}) must be lowercase`,
    );
  if (!path.split('/').every((c) => COMPONENT.test(c))) throw invalid();
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (/^[a-f0-9]{64}$/.test(path.replace(/^library\//, '')))
    throw new InvalidArgumentError(
      `invalid repository name (${path.replace(/^library\//, '')}), cannot specify 64-byte hexadecimal strings`,
    );
  return { domain, path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** Adds `latest` when there is neither tag nor digest (docker pull busybox). */
export function withDefaultTag(r: ImageReference): ImageReference {
  return r.tag || r.digest ? r : { ...r, tag: 'latest' };
}

/** docker.io/library/busybox */
export function repositoryName(r: ImageReference): string {
  return `${r.domain}/${r.path}`;
}

/** The full form: docker.io/library/busybox:latest, host/x@sha256:... */
export function canonical(r: ImageReference): string {
  return `${repositoryName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** What docker shows: busybox, user/x, 127.0.0.1:5000/x (without tag). */
export function familiarRepository(r: ImageReference): string {
  if (r.domain !== DEFAULT_DOMAIN) return repositoryName(r);
  return r.path.startsWith('library/') ? r.path.slice('library/'.length) : r.path;
}

export function familiar(r: ImageReference): string {
  return `${familiarRepository(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** Parses and normalises, adding `latest`: the form the image store keys tags by. */
export function normalizeTagged(text: string): ImageReference {
  return withDefaultTag(parseReference(text));
}
