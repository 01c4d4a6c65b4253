import { parseByteSize } from '../../byte-size.js';

/** `--log-opt max-size=10m` → bytes; undefined when unset. */
export function byteSizeOrUndefined(v: string | undefined): number | undefined {
  return v === undefined || v === '' ? undefined : parseByteSize(v, 'max-size');
}
