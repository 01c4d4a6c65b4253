/**
 * Which distribution family we are on, from /etc/os-release, and the exact fix commands for it
 * (the distribution hints of Docker's rootless documentation, seeds 000–002).
 */
export type DistroFamily =
  'debian' | 'ubuntu' | 'arch' | 'opensuse' | 'fedora' | 'rhel' | 'unknown';

export interface Distro {
  readonly family: DistroFamily;
  readonly prettyName: string;
  readonly versionId: string;
}

export function parseOsRelease(text: string): Distro {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) fields.set(m[1], m[2].replace(/^"(.*)"$|^'(.*)'$/, '$1$2'));
  }
  const id = (fields.get('ID') ?? '').toLowerCase();
  const like = (fields.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/);
  return {
    family: familyOf(id, like),
    prettyName: fields.get('PRETTY_NAME') ?? (id || 'Linux'),
    versionId: fields.get('VERSION_ID') ?? '',
  };
}

function familyOf(id: string, like: readonly string[]): DistroFamily {
  const all = [id, ...like];
  if (id === 'ubuntu' || (like.includes('ubuntu') && id !== 'debian')) return 'ubuntu';
  if (id === 'debian' || all.includes('debian')) return 'debian';
  if (all.includes('arch') || id === 'archlinux') return 'arch';
  if (all.some((x) => x.startsWith('opensuse') || x === 'suse' || x === 'sles')) return 'opensuse';
  if (id === 'fedora') return 'fedora';
  if (all.some((x) => x === 'rhel' || x === 'centos' || x === 'rocky' || x === 'almalinux'))
    return 'rhel';
  if (all.includes('fedora')) return 'rhel';
  return 'unknown';
}

/** The command that installs a package set on this family. */
export function installCommand(
  distro: Distro,
  packages: Partial<Record<DistroFamily, readonly string[]>>,
): string {
  const pkgs = packages[distro.family] ?? packages.unknown ?? [];
  const list = pkgs.join(' ');
  switch (distro.family) {
    case 'debian':
    case 'ubuntu':
      return `sudo apt-get install -y ${list}`;
    case 'arch':
      return `sudo pacman -S --needed ${list}`;
    case 'opensuse':
      return `sudo zypper install -y ${list}`;
    case 'fedora':
      return `sudo dnf install -y ${list}`;
    case 'rhel':
      return `sudo yum install -y ${list}`;
    case 'unknown':
      return `install ${list} with your distribution's package manager`;
  }
}

/** Set a sysctl now and persist it across reboots. */
export function sysctlFix(key: string, value: string): readonly string[] {
  const quoted = value.includes(' ') ? `"${value}"` : value;
  return [
    `sudo sysctl -w ${key}=${quoted}`,
    `echo '${key}=${value}' | sudo tee -a /etc/sysctl.d/99-rootless.conf && sudo sysctl --system`,
  ];
}
