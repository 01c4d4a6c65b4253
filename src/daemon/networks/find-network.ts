/**
 * Which network a reference means, in dockerd's order (api/server/router/network
 * findUniqueNetwork): a full id, then an exact name, then an id prefix. More than one match
 * by name or prefix is an error, never a guess.
 */
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { NetworkRecord } from './network-record.js';

export function findNetwork(all: Iterable<NetworkRecord>, ref: string): NetworkRecord {
  const list = [...all];
  const byId = list.find((n) => n.id === ref);
  if (byId) return byId;
  const byName = list.filter((n) => n.name === ref);
  if (byName.length > 1)
    throw new InvalidArgumentError(
      `network ${ref} is ambiguous (${byName.length} matches found on name)`,
    );
  if (byName[0]) return byName[0];
  const byPrefix = ref === '' ? [] : list.filter((n) => n.id.startsWith(ref));
  if (byPrefix.length > 1)
    throw new InvalidArgumentError(
      `network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`,
    );
  if (byPrefix[0]) return byPrefix[0];
  throw new NotFoundError(`network ${ref} not found`);
}
