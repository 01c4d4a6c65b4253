/** The seccomp profile a container asks for with `--security-opt seccomp=...`. */
import { InvalidArgumentError, messageOf } from '../../errors.js';
import type { SpecInput } from '../../runtime/spec/spec-input.js';

export /** `--security-opt seccomp=unconfined|<json>`, else the daemon's default profile. */
function seccompFor(opts: readonly string[], profile: SpecInput['seccomp']): SpecInput['seccomp'] {
  for (const o of opts) {
    const [k, ...rest] = o.split(/[=:]/);
    if (k !== 'seccomp') continue;
    const v = o.slice(k.length + 1);
    if (rest.length === 0 || v === '')
      throw new InvalidArgumentError(`invalid --security-opt: ${o}`);
    if (v === 'unconfined') return 'unconfined';
    try {
      return JSON.parse(v) as SpecInput['seccomp'];
    } catch (e) {
      throw new InvalidArgumentError(`decoding seccomp profile failed: ${messageOf(e)}`);
    }
  }
  return profile;
}
