/** The OCI spec generator composed with the rootless pass (STYLE R4: skiffd injects it). */
import type { HostProfile } from '../host.js';
import type { SpecFactory } from '../daemon/containers/dependencies.js';
import { buildSpec } from '../runtime/spec/build-spec.js';
import { buildExecProcess } from '../runtime/spec/exec-process.js';
import { resolveUser } from '../runtime/spec/resolve-user.js';
import { loadSeccompProfile } from '../runtime/spec/seccomp.js';
import { resourceWarnings, toRootless } from '../rootless/spec.js';

export async function buildSpecFactory(host: HostProfile): Promise<SpecFactory> {
  const seccomp = host.seccompProfile ? await loadSeccompProfile(host.seccompProfile) : undefined;
  return {
    build: (input) => ({ spec: toRootless(buildSpec(input), host), warnings: [] }),
    resolveUser,
    execProcess: buildExecProcess,
    resourceWarnings: (hc) => resourceWarnings(hc, host),
    ...(seccomp ? { defaultSeccomp: seccomp } : {}),
  };
}
