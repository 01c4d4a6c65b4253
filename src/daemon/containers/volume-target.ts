/**
 * A volume destination from the image's VOLUME or the API's `Volumes`, cleaned as dockerd does
 * (absolute, `..` and `.` folded, not `/`). An image is hostile input: without this, a key like
 * `/../../../../home/u/.ssh` named a path outside the container's rootfs.
 */
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';

export function cleanVolumeTarget(v: string): string {
  if (!v.startsWith('/'))
    throw new InvalidArgumentError(
      `invalid volume specification: '${v}': invalid mount config for type "volume": invalid mount path: '${v}' mount path must be absolute`,
    );
  const clean = posix.normalize(v).replace(/\/+$/, '') || '/';
  if (clean === '/')
    throw new InvalidArgumentError(
      `invalid volume specification: '${v}': invalid mount config for type "volume": destination can't be '/'`,
    );
  return clean;
}
