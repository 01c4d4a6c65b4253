/**
 * Where a registry's redirect may take a GET or HEAD, and what goes along. Docker Hub and every
 * CDN-backed registry answer a blob GET with a 307 to their storage; the hop is followed, but
 * what belongs to the registry (the Authorization header, its client certificate, its
 * `insecure` exemption) stays with the registry's own host:port, as Docker does.
 */
import type { Endpoint, TlsMaterial } from './registry-hosts.js';

/** The statuses Go's http.Client (hence Docker) follows. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Hops after the first request, as Go's default CheckRedirect. */
export const MAX_REDIRECTS = 10;

export interface HopTransport {
  readonly tls: TlsMaterial;
  readonly insecure: boolean;
  /** Whether the registry's Authorization header may go with this hop. */
  readonly sendAuthorization: boolean;
}

/** host:port with the scheme's default port filled in, so `https://h` equals `https://h:443`. */
export function hostPort(u: URL): string {
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname}:${port}`;
}

/**
 * The URL a redirect points to, resolved against the URL that answered it; undefined when the
 * Location is missing, unparsable or not http(s).
 */
export function redirectTarget(current: URL, location: string | undefined): URL | undefined {
  if (!location) return undefined;
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    return undefined;
  }
  return next.protocol === 'http:' || next.protocol === 'https:' ? next : undefined;
}

/**
 * TLS material, verification and credentials for a hop to `next`, given the registry URL the
 * first request went to (`home`): the registry's own settings only on its own host:port, plain
 * verified TLS without a client certificate and without Authorization anywhere else.
 */
export function hopTransport(ep: Endpoint, home: URL, next: URL): HopTransport {
  if (hostPort(next) === hostPort(home))
    return { tls: ep.tls, insecure: ep.insecure, sendAuthorization: true };
  return { tls: {}, insecure: false, sendAuthorization: false };
}

/** Go's url.Error operation name for a method ("Get", "Head"), as in Docker's messages. */
export function methodOp(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
}
