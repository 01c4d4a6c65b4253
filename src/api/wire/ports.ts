import { InvalidArgumentError } from '../../errors.js';

/** "80" → "80/tcp", as Docker's nat.Port. */
export function normalizePort(p: string): string {
  const [port, proto = 'tcp'] = p.split('/');
  if (!port || !/^\d+(-\d+)?$/.test(port))
    throw new InvalidArgumentError(`invalid port specification: "${p}"`);
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase()))
    throw new InvalidArgumentError(`invalid proto: ${proto}`);
  return `${port}/${proto.toLowerCase()}`;
}
