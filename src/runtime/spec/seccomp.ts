/**
 * Docker's seccomp profile format (which containers-common's seccomp.json uses) → the OCI
 * `linux.seccomp` for this container: the host's architectures from archMap, and the rules
 * whose includes/excludes (capabilities, architectures, minimum kernel) match.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import type { OciSeccomp, OciSeccompSyscall } from './oci-spec.js';
import type { DockerSeccompProfile } from './spec-input.js';

const GO_TO_SECCOMP_ARCH: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  '386': 'SCMP_ARCH_X86',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
};

/** Architecture names used in includes/excludes ("amd64", "x32"...) that the host counts as its own. */
const HOST_ARCH_ALIASES: Readonly<Record<string, readonly string[]>> = {
  amd64: ['amd64', 'x86_64', 'x32', 'x86'],
  arm64: ['arm64', 'aarch64', 'arm'],
};

export function seccompFromDockerProfile(
  p: DockerSeccompProfile,
  caps: readonly string[],
  arch: string,
  kernel: string,
): OciSeccomp {
  const native = GO_TO_SECCOMP_ARCH[arch];
  const archMap = p.archMap?.find((a) => a.architecture === native);
  const architectures = archMap
    ? [archMap.architecture, ...(archMap.subArchitectures ?? [])]
    : p.architectures
      ? [...p.architectures]
      : native
        ? [native]
        : [];
  const myArches = HOST_ARCH_ALIASES[arch] ?? [arch];
  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of p.syscalls ?? []) {
    const inc = rule.includes ?? {};
    const exc = rule.excludes ?? {};
    if (inc.arches && inc.arches.length > 0 && !inc.arches.some((a) => myArches.includes(a)))
      continue;
    if (inc.caps && inc.caps.length > 0 && !inc.caps.every((c) => caps.includes(c))) continue;
    if (inc.minKernel && compareKernel(kernel, inc.minKernel) < 0) continue;
    if (exc.arches && exc.arches.some((a) => myArches.includes(a))) continue;
    if (exc.caps && exc.caps.some((c) => caps.includes(c))) continue;
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    if (names.length === 0) continue;
    syscalls.push({
      names: [...names],
      action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      ...(rule.args && rule.args.length > 0
        ? {
            args: rule.args.map((a) => ({
              index: a.index,
              value: a.value,
              ...(a.valueTwo ? { valueTwo: a.valueTwo } : {}),
              op: a.op,
            })),
          }
        : {}),
    });
  }
  return {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    architectures,
    ...(p.flags && p.flags.length > 0 ? { flags: [...p.flags] } : {}),
    syscalls,
  };
}

function compareKernel(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let k = 0; k < 3; k++) if ((pa[k] ?? 0) !== (pb[k] ?? 0)) return (pa[k] ?? 0) - (pb[k] ?? 0);
  return 0;
}

export function parseSeccompProfile(text: string, source: string): DockerSeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`decoding seccomp profile ${source} failed: ${messageOf(e)}`);
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof (raw as { defaultAction?: unknown }).defaultAction !== 'string'
  )
    throw new InvalidArgumentError(`seccomp profile ${source}: missing defaultAction`);
  return raw as DockerSeccompProfile;
}

export async function loadSeccompProfile(path: string): Promise<DockerSeccompProfile> {
  return parseSeccompProfile(await readFile(path, 'utf8'), path);
}
