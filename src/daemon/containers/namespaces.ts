/** Which namespaces a container gets, from its HostConfig modes (see network-mode.ts). */
import { ConflictError } from '../../errors.js';
import type { HostProfile } from '../../host.js';
import type { NamespaceChoice, SpecInput } from '../../runtime/spec/spec-input.js';
import type { HostConfig } from './container-config.js';
import { networkModeKind } from './network-mode.js';

/** Resolves `container:<ref>` to that container's init pid; throws when it is not running. */
export type PidOf = (ref: string) => number;

export function containerNamespaces(
  hc: HostConfig,
  host: HostProfile,
  pidOf: PidOf,
  /** The container's own network namespace on a bridge network (container-networking.ts). */
  sandboxKey?: string,
): SpecInput['namespaces'] {
  const join = (ref: string, type: string): NamespaceChoice => ({
    kind: 'path',
    path: `/proc/${pidOf(ref)}/ns/${type}`,
  });
  const net = networkModeKind(hc.networkMode);
  const network: NamespaceChoice =
    net.kind === 'holder'
      ? sandboxKey !== undefined
        ? { kind: 'path', path: sandboxKey }
        : host.holderPid !== undefined
          ? { kind: 'path', path: `/proc/${host.holderPid}/ns/net` }
          : { kind: 'new' }
      : net.kind === 'host'
        ? { kind: 'host' }
        : net.kind === 'container'
          ? join(net.container ?? '', 'net')
          : { kind: 'new' };
  const shared = (mode: string, type: string): NamespaceChoice =>
    mode === 'host'
      ? { kind: 'host' }
      : mode.startsWith('container:')
        ? join(mode.slice(10), type)
        : { kind: 'new' };
  return {
    network,
    ipc: shared(hc.ipcMode, 'ipc'),
    pid: shared(hc.pidMode, 'pid'),
    uts: hc.utsMode === 'host' ? { kind: 'host' } : { kind: 'new' },
    cgroup:
      hc.cgroupnsMode === 'host' || host.cgroup.version === 1 ? { kind: 'host' } : { kind: 'new' },
  };
}

export function notRunning(ref: string, what: string): ConflictError {
  return new ConflictError(`cannot join ${what} of a non running container: ${ref}`);
}
