/**
 * `docker network ls` filters with dockerd's semantics (moby daemon/network/filter.go):
 * driver and scope match exactly; name and id match exactly or as a regular expression found
 * anywhere (filters.Args.Match: `name=web` lists `proj_web_1` too); label needs every
 * `key` / `key=value` given; type is custom|builtin; dangling means no container and not
 * predefined.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { NetworkRecord } from './network-record.js';

export interface NetworkFilters {
  readonly driver?: readonly string[];
  readonly id?: readonly string[];
  readonly name?: readonly string[];
  readonly label?: readonly string[];
  readonly scope?: readonly string[];
  readonly type?: readonly string[];
  readonly dangling?: boolean;
}

/** dockerd's filters.Args.Match: equal, or the value as a regexp matches somewhere. */
export function looseMatch(values: readonly string[], source: string): boolean {
  return values.some((v) => {
    if (v === source) return true;
    try {
      return new RegExp(v).test(source);
    } catch {
      return false; // not a valid pattern: dockerd skips it too
    }
  });
}

/** `key` or `key=value`: every one must hold. */
export function labelsMatch(
  labels: Readonly<Record<string, string>>,
  wanted: readonly string[],
): boolean {
  return wanted.every((w) => {
    const i = w.indexOf('=');
    return i < 0 ? Object.hasOwn(labels, w) : labels[w.slice(0, i)] === w.slice(i + 1);
  });
}

export function filterNetworks(
  list: readonly NetworkRecord[],
  f: NetworkFilters,
  inUse: (n: NetworkRecord) => boolean,
): NetworkRecord[] {
  for (const t of f.type ?? [])
    if (t !== 'custom' && t !== 'builtin')
      throw new InvalidArgumentError(`invalid filter 'type=${t}'`);
  return list.filter((n) => {
    if (f.driver && !f.driver.includes(n.driver)) return false;
    if (f.name && !looseMatch(f.name, n.name)) return false;
    if (f.id && !looseMatch(f.id, n.id)) return false;
    if (f.label && !labelsMatch(n.labels, f.label)) return false;
    if (f.scope && !f.scope.includes('local')) return false;
    if (f.type && !f.type.includes(n.predefined ? 'builtin' : 'custom')) return false;
    if (f.dangling !== undefined) {
      const dangling = !n.predefined && !inUse(n);
      if (dangling !== f.dangling) return false;
    }
    return true;
  });
}
