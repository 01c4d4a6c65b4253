/**
 * `--volumes-from other[:ro|:rw]` (HostConfig.VolumesFrom): the new container gets the other
 * container's volume and bind mounts at the same destinations. As dockerd, `:ro` makes them
 * read-only and `:rw` (or nothing) keeps each mount's own mode; a read-only mount stays so.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { MountPoint } from './container-record.js';

export interface VolumesFromSpec {
  readonly ref: string;
  readonly readOnly: boolean;
}

/** Parses one entry with dockerd's errors. */
export function parseVolumesFrom(spec: string): VolumesFromSpec {
  if (spec === '')
    throw new InvalidArgumentError('volume-from specification cannot be an empty string');
  const parts = spec.split(':');
  if (parts.length > 2) throw new InvalidArgumentError(`invalid mode for volumes-from: ${spec}`);
  const [ref = '', mode] = parts;
  if (mode === undefined) return { ref, readOnly: false };
  const opts = mode.split(',');
  const valid = ['ro', 'rw', 'z', 'Z', 'nocopy'];
  if (opts.some((o) => !valid.includes(o)) || (opts.includes('ro') && opts.includes('rw')))
    throw new InvalidArgumentError(`invalid mode for volumes-from: ${mode}`);
  return { ref, readOnly: opts.includes('ro') };
}

/** The other container's volume and bind mounts, as this container mounts them. */
export function inheritedMountPoints(from: readonly MountPoint[], readOnly: boolean): MountPoint[] {
  return from
    .filter((m) => m.type === 'volume' || m.type === 'bind')
    .map((m) => {
      const rw = m.rw && !readOnly;
      const { anonymous: _anonymous, ...rest } = m;
      return {
        ...rest,
        rw,
        mode: rw ? m.mode : addRo(m.mode),
        // The volume belongs to the other container, which filled it already.
        populated: true,
      };
    });
}

function addRo(mode: string): string {
  if (mode.split(',').includes('ro')) return mode;
  const rest = mode.split(',').filter((x) => x !== '' && x !== 'z' && x !== 'rw');
  return ['ro', ...rest].join(',');
}
