/** The process of `docker exec`: the container's env and capabilities, the exec's command. */
import type { ProcessSpec } from '../runtime.js';
import { ALL_CAPABILITIES } from './capabilities.js';
import type { ResolvedUser } from './spec-input.js';

interface BaseSpec {
  readonly process?: {
    readonly capabilities?: { readonly bounding?: readonly string[] };
    readonly noNewPrivileges?: boolean;
  };
}

export function buildExecProcess(
  base: object,
  exec: {
    cmd: readonly string[];
    env: readonly string[];
    user: ResolvedUser;
    workingDir: string;
    tty: boolean;
    privileged: boolean;
  },
): ProcessSpec {
  const b = base as BaseSpec;
  const caps = exec.privileged ? ALL_CAPABILITIES : (b.process?.capabilities?.bounding ?? []);
  return {
    args: exec.cmd,
    env: exec.env,
    cwd: exec.workingDir || '/',
    user: { uid: exec.user.uid, gid: exec.user.gid, additionalGids: exec.user.additionalGids },
    tty: exec.tty,
    capabilities: caps,
    noNewPrivileges: b.process?.noNewPrivileges ?? false,
  };
}
