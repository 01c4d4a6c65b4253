/**
 * Docker's MAC for an IPv4 endpoint: 02:42 followed by the four address bytes. A container that
 * reuses an address then also reuses its MAC, so the neighbour entry the holder's namespace
 * still has for the previous owner stays right; with a random MAC, forwards to the new container
 * (rootlesskit's childIP) hang until that stale entry expires (tens of seconds).
 */
export function macForIpv4(address: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/\d+)?$/.exec(address);
  if (!m) return undefined;
  const bytes = m.slice(1, 5).map(Number);
  if (bytes.some((b) => b > 255)) return undefined;
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
