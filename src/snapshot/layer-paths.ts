/** Path rules for layer tars: relative, no `..`, and whiteout names (OCI image spec, layer.md). */
import { InvalidArgumentError } from '../errors.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** "./a/b/" → "a/b"; "" for the layer root; refuses `..` and absolute escapes. */
export function normalizeEntryName(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..'))
    throw new InvalidArgumentError(`refusing layer entry "${name}": it would leave the layer`);
  return parts.join('/');
}

export type WhiteoutKind =
  { kind: 'opaque'; dir: string } | { kind: 'whiteout'; path: string } | { kind: 'none' };

export function classifyWhiteout(rel: string): WhiteoutKind {
  const slash = rel.lastIndexOf('/');
  const dir = slash < 0 ? '' : rel.slice(0, slash);
  const base = slash < 0 ? rel : rel.slice(slash + 1);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..')
      throw new InvalidArgumentError(`invalid whiteout entry "${rel}"`);
    return { kind: 'whiteout', path: dir === '' ? name : `${dir}/${name}` };
  }
  return { kind: 'none' };
}
