/** Linux capability names, for validating --cap-add/--cap-drop as Docker does. */
import { InvalidArgumentError } from '../../errors.js';
import { ALL_CAPABILITIES } from '../../runtime/spec/capabilities.js';

/** "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" → "CAP_NET_ADMIN"; "ALL" stays "ALL". */
export function normalizeCapabilities(caps: readonly string[]): string[] {
  return caps.map((c) => {
    const up = c.toUpperCase();
    if (up === 'ALL') return 'ALL';
    const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
    if (!ALL_CAPABILITIES.includes(name))
      throw new InvalidArgumentError(`unknown capability: "${name}"`);
    return name;
  });
}
