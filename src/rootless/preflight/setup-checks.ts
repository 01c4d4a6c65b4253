/**
 * The full prerequisite list of `skiff setup check` (and the first part of `skiff doctor`):
 * what the daemon needs to start, plus what containers need to run (an OCI runtime, conmon,
 * the network driver and its device, a storage driver, the seccomp profile).
 */
import { access, constants } from 'node:fs/promises';
import { checkBinary, daemonPrerequisites } from './prerequisites.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';
import { installCommand } from './distro.js';
import type { SystemFacts } from './system-facts.js';
import { netDriverBinary, type RootlesskitSettings } from '../rootlesskit/launcher-args.js';

export async function deviceCheck(
  id: string,
  path: string,
  why: string,
  severity: 'fail' | 'warn',
): Promise<CheckResult> {
  const title = `${path} usable (${why})`;
  const usable = await access(path, constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  if (usable) return ok(id, title, path);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  const detail = exists
    ? `${path} is not read-writable for your user (without udev it stays 0600)`
    : `${path} does not exist`;
  const fix = exists
    ? [
        `sudo chmod 666 ${path}`,
        `persist it: echo 'KERNEL=="${path.split('/').pop() ?? ''}", MODE="0666"' | sudo tee /etc/udev/rules.d/99-rootless.rules`,
      ]
    : [`sudo modprobe ${path.endsWith('tun') ? 'tun' : 'fuse'}`];
  return severity === 'fail' ? fail(id, title, detail, fix) : warn(id, title, detail, fix);
}

export async function setupChecks(
  sys: SystemFacts,
  settings: RootlesskitSettings,
): Promise<CheckResult[]> {
  const checks = await daemonPrerequisites(sys);
  const netBin = netDriverBinary(settings.net);
  if (netBin)
    checks.push(
      checkBinary(sys, `net-${netBin}`, netBin, netBin, `network driver ${settings.net}`),
    );
  if (settings.net === 'slirp4netns' || settings.net === 'pasta')
    checks.push(
      await deviceCheck('dev-net-tun', '/dev/net/tun', `${settings.net} needs it`, 'fail'),
    );
  const runc = sys.findBinary('runc');
  const crun = sys.findBinary('crun');
  checks.push(
    runc || crun
      ? ok(
          'oci-runtime',
          'an OCI runtime (runc or crun)',
          [runc, crun].filter((x) => x !== undefined).join(', '),
        )
      : fail('oci-runtime', 'an OCI runtime (runc or crun)', 'neither runc nor crun is installed', [
          installCommand(sys.distro, { unknown: ['runc'] }),
        ]),
  );
  checks.push(checkBinary(sys, 'conmon', 'conmon', 'conmon', 'the per-container monitor'));
  checks.push(
    checkBinary(
      sys,
      'fuse-overlayfs',
      'fuse-overlayfs',
      'fuse-overlayfs',
      'storage when native overlay is not allowed in a user namespace',
      'warn',
    ),
  );
  checks.push(await deviceCheck('dev-fuse', '/dev/fuse', 'fuse-overlayfs needs it', 'warn'));
  const seccomp = await sys.readFile('/usr/share/containers/seccomp.json');
  checks.push(
    seccomp !== undefined
      ? ok('seccomp-profile', 'the default seccomp profile', '/usr/share/containers/seccomp.json')
      : warn(
          'seccomp-profile',
          'the default seccomp profile',
          'containers-common seccomp.json not found: containers would run without a seccomp filter',
          [
            installCommand(sys.distro, {
              debian: ['golang-github-containers-common'],
              ubuntu: ['golang-github-containers-common'],
              fedora: ['containers-common'],
              rhel: ['containers-common'],
              arch: ['containers-common'],
              opensuse: ['containers-common'],
              unknown: ['containers-common'],
            }),
          ],
        ),
  );
  checks.push(
    sys.findBinary('tini') || sys.findBinary('tini-static') || sys.findBinary('catatonit')
      ? ok(
          'init',
          'an init for --init (tini or catatonit)',
          sys.findBinary('tini') ?? sys.findBinary('catatonit') ?? '',
        )
      : warn(
          'init',
          'an init for --init (tini or catatonit)',
          'neither tini nor catatonit is installed: --init will fail',
          [installCommand(sys.distro, { unknown: ['tini'] })],
        ),
  );
  return checks;
}
