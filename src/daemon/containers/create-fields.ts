/**
 * HostConfig fields that create either acts on, refuses or warns about, so that none is accepted
 * and then silently ignored (docs/errors.md). Pure functions: create-container.ts gathers the
 * facts (host profile, the image's platform) and applies the answers. DeviceRequests (CDI) are
 * handled in device-requests.ts.
 */
import { InvalidArgumentError, NotFoundError } from '../../errors.js';
import { formatPlatform, parsePlatform } from '../../image/platform.js';
import type { Platform } from '../../image/descriptor.js';
import type { HostConfig } from './container-config.js';

/**
 * `label=...` (SELinux) and `apparmor=...`: a rootless engine can apply neither (Docker's rootless
 * mode runs without both), so they are accepted with a warning. `systempaths=unconfined` is
 * acted on by the spec builder; the rest by the runner (seccomp, no-new-privileges).
 */
export function securityOptWarnings(opts: readonly string[]): string[] {
  const w: string[] = [];
  for (const o of opts) {
    const key = o.split(/[=:]/, 1)[0] ?? '';
    if (key === 'label')
      w.push(
        `Security option "${o}" discarded: SELinux labels are not applied in rootless mode (no SELinux policy for a user namespace).`,
      );
    else if (key === 'apparmor')
      w.push(
        `Security option "${o}" discarded: AppArmor profiles cannot be loaded in rootless mode.`,
      );
  }
  return w;
}

/** The cgroup namespace a container gets: skiff keeps the host's on cgroup v1 and hybrid hosts. */
export function effectiveCgroupns(
  requested: string,
  cgroupVersion: number,
): { mode: 'host' | 'private'; warning?: string } {
  if (requested !== '' && requested !== 'host' && requested !== 'private')
    throw new InvalidArgumentError(`invalid cgroup namespace mode: ${requested}`);
  if (cgroupVersion !== 2) {
    if (requested === 'private')
      return {
        mode: 'host',
        warning:
          'Your kernel does not support cgroup namespaces with this cgroup layout (no cgroup v2). Cgroup namespace setting discarded.',
      };
    return { mode: 'host' };
  }
  return { mode: requested === 'host' ? 'host' : 'private' };
}

/** The runtime a container runs with: the one the host profile chose; another is refused. */
export function effectiveRuntime(requested: string, available: string): string {
  if (requested !== '' && requested !== available)
    throw new InvalidArgumentError(`Unknown runtime specified ${requested}`);
  return available;
}

/**
 * create's `platform` query against the image's own platform: dockerd's GetImage answer, a 404
 * (errdefs.NotFound), so that the CLI's "pull then retry" path applies as with dockerd.
 */
export function checkImagePlatform(ref: string, wanted: string, actual: Platform): void {
  const want = parsePlatform(wanted);
  const variantsDiffer =
    want.variant !== undefined &&
    actual.variant !== undefined &&
    want.variant !== actual.variant &&
    !(want.architecture === 'arm64' && (want.variant === 'v8' || actual.variant === 'v8'));
  if (want.os !== actual.os || want.architecture !== actual.architecture || variantsDiffer)
    throw new NotFoundError(
      `image with reference ${ref} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(actual)}`,
    );
}

/**
 * The warnings for cgroup settings with no delegated cgroup to apply them in (as
 * rootless/spec.ts resourceWarnings for the plain limits).
 */
export function cgroupFieldWarnings(hc: HostConfig, delegated: readonly string[]): string[] {
  const d = new Set(delegated);
  const w: string[] = [];
  if (hc.cgroupParent)
    w.push(
      d.size === 0
        ? `CgroupParent "${hc.cgroupParent}" discarded: no cgroup is delegated to this user (rootless).`
        : `CgroupParent "${hc.cgroupParent}" discarded: skiff places containers in its own delegated cgroup.`,
    );
  const b = hc.blkioDeviceLimits;
  // Even with `io` delegated the spec builder sets no per-device limits yet: say so.
  if (b && d.has('io'))
    w.push('Per-device Block I/O limits are not applied by skiff yet. Device limits discarded.');
  if (b && !d.has('io'))
    for (const [limits, what] of [
      [b.weight, 'Block I/O weight_device or the cgroup is not mounted. Weight-device'],
      [
        b.readBps,
        'BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit',
      ],
      [
        b.writeBps,
        'BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit',
      ],
      [b.readIops, 'IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit'],
      [
        b.writeIops,
        'IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit',
      ],
    ] as const)
      if (limits.length > 0) w.push(`Your kernel does not support ${what} discarded.`);
  if (hc.deviceCgroupRules && hc.deviceCgroupRules.length > 0)
    w.push(
      'DeviceCgroupRules discarded: a rootless container has no device cgroup (only devices given with --device are reachable).',
    );
  return w;
}
