/**
 * Global flags for the OCI runtime CLI, per runtime. Pure.
 * Why `--cgroup-manager=disabled` for crun: inside a user namespace without cgroup v2
 * delegation there is nothing crun could manage, and asking it to try only adds failures.
 */
import type { RuntimeName } from '../../host.js';

export function globalRuntimeArgs(
  name: RuntimeName,
  stateRoot: string,
  cgroupsDelegated = false,
): string[] {
  switch (name) {
    case 'crun':
      return cgroupsDelegated
        ? ['--root', stateRoot]
        : ['--cgroup-manager=disabled', '--root', stateRoot];
    case 'runc':
      return ['--root', stateRoot];
  }
}
