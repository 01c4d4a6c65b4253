/**
 * HostConfig.DeviceRequests served through CDI, as dockerd 28 does:
 * - Driver "cdi" (the docker CLI's `--device vendor.com/class=name`): DeviceIDs are qualified
 *   CDI names;
 * - `--gpus` (Driver "" or "nvidia", GPU capabilities): the devices of kind nvidia.com/gpu —
 *   `all` is nvidia.com/gpu=all, `device=0,1` nvidia.com/gpu=0 and =1, a count the first
 *   devices in name order.
 * Resolved at create (errors before the container exists) and again at start (the edits of the
 * specs as they are then).
 */
import { InvalidArgumentError } from '../../errors.js';
import {
  cdiDevicesOfKind,
  completeDeviceNodes,
  hasCdiKind,
  loadCdiRegistry,
  resolveCdiDevices,
  type CdiRegistry,
  type ResolvedCdiDevices,
} from '../../runtime/cdi/cdi-registry.js';
import type { CdiContainerEdits } from '../../runtime/cdi/cdi-spec.js';
import type { DeviceRequest } from './container-config.js';

export const NVIDIA_GPU_KIND = 'nvidia.com/gpu';

/** The capabilities dockerd's nvidia driver answers to (daemon/nvidia_linux.go). */
const NVIDIA_CAPS = new Set([
  'gpu',
  'nvidia',
  'compute',
  'compat32',
  'graphics',
  'utility',
  'video',
  'display',
]);

/** The qualified CDI names the requests ask for. Pure; 400s in dockerd's words. */
export function cdiNamesForRequests(
  requests: readonly DeviceRequest[],
  reg: CdiRegistry,
): string[] {
  const names: string[] = [];
  for (const r of requests) {
    if (r.driver === 'cdi') {
      if (r.count !== 0) throw new InvalidArgumentError('unexpected count in CDI device request');
      if (Object.keys(r.options).length > 0)
        throw new InvalidArgumentError('unexpected options in CDI device request');
      names.push(...r.deviceIds);
      continue;
    }
    const nvidia =
      r.driver === 'nvidia' ||
      (r.driver === '' && r.capabilities.some((set) => set.every((c) => NVIDIA_CAPS.has(c))));
    if (!nvidia || !hasCdiKind(reg, NVIDIA_GPU_KIND))
      throw new InvalidArgumentError(
        `could not select device driver "${r.driver}" with capabilities: ${goCaps(r.capabilities)}` +
          (nvidia
            ? `: skiff supports GPUs through CDI specs in ${reg.dirs.join(' or ')}; none found`
            : ''),
      );
    if (r.deviceIds.length > 0) {
      if (r.count !== 0)
        throw new InvalidArgumentError('cannot set both Count and DeviceIDs on device request');
      names.push(...r.deviceIds.map((id) => `${NVIDIA_GPU_KIND}=${id}`));
    } else if (r.count < 0) names.push(`${NVIDIA_GPU_KIND}=all`);
    else if (r.count > 0) {
      const have = cdiDevicesOfKind(reg, NVIDIA_GPU_KIND);
      if (have.length < r.count)
        throw new InvalidArgumentError(
          `CDI device injection failed: ${r.count} ${NVIDIA_GPU_KIND} devices requested, ${have.length} available (${have.join(', ') || 'none'})`,
        );
      names.push(...have.slice(0, r.count).map((n) => `${NVIDIA_GPU_KIND}=${n}`));
    }
  }
  return [...new Set(names)];
}

/**
 * The CDI edits for the requests, with device nodes completed from the host; undefined when
 * nothing is asked for. Reads the CDI directories.
 */
export async function resolveDeviceRequests(
  requests: readonly DeviceRequest[] | undefined,
  dirs: readonly string[],
): Promise<ResolvedCdiDevices | undefined> {
  if (requests === undefined || requests.length === 0) return undefined;
  const reg = await loadCdiRegistry(dirs);
  const names = cdiNamesForRequests(requests, reg);
  if (names.length === 0) return undefined;
  const resolved = resolveCdiDevices(reg, names);
  return { ...resolved, edits: await completeDeviceNodes(resolved.edits) };
}

/**
 * SpecInput's `cdi` at start: the requests resolved again from the specs as they are now, so
 * that a spec regenerated since create is used, and one removed is a clear start error.
 */
export async function cdiSpecInput(
  requests: readonly DeviceRequest[] | undefined,
  dirs: readonly string[],
): Promise<{ cdi?: CdiContainerEdits }> {
  const r = await resolveDeviceRequests(requests, dirs);
  return r ? { cdi: r.edits } : {};
}

/** As Go prints a [][]string (dockerd's message does): [[gpu compute]]. */
function goCaps(caps: readonly (readonly string[])[]): string {
  return `[${caps.map((c) => `[${c.join(' ')}]`).join(' ')}]`;
}
