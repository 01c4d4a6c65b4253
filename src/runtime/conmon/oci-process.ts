/** Our ProcessSpec as the OCI `process` object runc/crun/conmon read from --process files. */
import type { ProcessSpec } from '../runtime.js';

export function toOciProcess(p: ProcessSpec): Record<string, unknown> {
  return {
    terminal: p.tty,
    ...(p.consoleSize ? { consoleSize: p.consoleSize } : {}),
    user: {
      uid: p.user.uid,
      gid: p.user.gid,
      ...(p.user.additionalGids && p.user.additionalGids.length > 0
        ? { additionalGids: p.user.additionalGids }
        : {}),
    },
    args: p.args,
    env: p.env,
    cwd: p.cwd || '/',
    ...(p.capabilities
      ? {
          capabilities: {
            bounding: p.capabilities,
            effective: p.capabilities,
            permitted: p.capabilities,
          },
        }
      : {}),
    noNewPrivileges: p.noNewPrivileges ?? false,
  };
}
