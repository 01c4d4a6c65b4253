/** The host's platform and the choice of a manifest from an index (Docker's platform matcher). */
import { InvalidArgumentError } from '../errors.js';
import type { Descriptor, Platform } from './descriptor.js';

export function hostPlatform(arch: string): Platform {
  return arch === 'arm64'
    ? { os: 'linux', architecture: 'arm64', variant: 'v8' }
    : { os: 'linux', architecture: arch };
}

/** "linux/arm64/v8" → Platform. */
export function parsePlatform(text: string): Platform {
  const [os = '', architecture = '', variant] = text.toLowerCase().split('/');
  if (!os || !architecture)
    throw new InvalidArgumentError(
      `"${text}": unknown operating system or architecture: invalid argument`,
    );
  const arch =
    architecture === 'x86_64' || architecture === 'x86-64'
      ? 'amd64'
      : architecture === 'aarch64'
        ? 'arm64'
        : architecture;
  return { os, architecture: arch, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function matches(want: Platform, have: Platform): boolean {
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  if (!want.variant || !have.variant) return true;
  if (want.architecture === 'arm64' && (want.variant === 'v8' || have.variant === 'v8'))
    return true;
  return want.variant === have.variant;
}

export function selectManifest(
  manifests: readonly Descriptor[],
  want: Platform,
): Descriptor | undefined {
  const candidates = manifests.filter(
    (m) => m.platform && m.platform.os !== 'unknown' && matches(want, m.platform),
  );
  const exact = candidates.find((m) => m.platform?.variant === want.variant);
  return exact ?? candidates[0];
}
