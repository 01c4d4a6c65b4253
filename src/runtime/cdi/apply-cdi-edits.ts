/**
 * CDI container edits applied to a container's OCI spec (CDI's ContainerEdits.Apply), the
 * rootless way: a device node is bind-mounted from the host, as `--device` is (build-spec.ts),
 * since a user namespace cannot mknod. Pure.
 */
import type { OciMount, OciSpec } from '../spec/oci-spec.js';
import type { CdiContainerEdits, CdiDeviceNode, CdiMount } from './cdi-spec.js';

export function applyCdiEdits(spec: OciSpec, edits: CdiContainerEdits): OciSpec {
  // Env: a CDI entry replaces the container's entry of the same name, else is appended.
  let env = [...spec.process.env];
  for (const e of edits.env) {
    const key = e.slice(0, e.indexOf('=') + 1);
    env = [...env.filter((x) => !x.startsWith(key)), e];
  }
  // Mounts: device nodes first, then the mounts; each replaces a mount at its destination.
  let mounts = [...spec.mounts];
  for (const m of [...edits.deviceNodes.map(deviceMount), ...edits.mounts.map(cdiMount)])
    mounts = [...mounts.filter((x) => x.destination !== m.destination), m];
  const resources = spec.linux.resources;
  const devices = resources?.devices
    ? [
        ...resources.devices,
        ...edits.deviceNodes
          .filter((d) => d.type === 'c' || d.type === 'b')
          .map((d) => ({
            allow: true,
            type: d.type ?? 'c',
            ...(d.major !== undefined ? { major: d.major } : {}),
            ...(d.minor !== undefined ? { minor: d.minor } : {}),
            access: d.permissions || 'rwm',
          })),
      ]
    : undefined;
  const hooks = { ...spec.hooks };
  for (const h of edits.hooks)
    hooks[h.hookName] = [
      ...(hooks[h.hookName] ?? []),
      {
        path: h.path,
        ...(h.args ? { args: [...h.args] } : {}),
        ...(h.env ? { env: [...h.env] } : {}),
        ...(h.timeout !== undefined ? { timeout: h.timeout } : {}),
      },
    ];
  const gids = [...(spec.process.user.additionalGids ?? [])];
  for (const g of edits.additionalGids) if (g !== 0 && !gids.includes(g)) gids.push(g);
  return {
    ...spec,
    process: {
      ...spec.process,
      env,
      user: { ...spec.process.user, ...(gids.length > 0 ? { additionalGids: gids } : {}) },
    },
    mounts,
    linux: {
      ...spec.linux,
      ...(resources && devices ? { resources: { ...resources, devices } } : {}),
    },
    ...(Object.keys(hooks).length > 0 ? { hooks } : {}),
  };
}

/** A device node as a bind mount of the host's node (read-only when its permissions lack "w"). */
function deviceMount(d: CdiDeviceNode): OciMount {
  const readOnly =
    d.permissions !== undefined && d.permissions !== '' && !d.permissions.includes('w');
  return {
    destination: d.path,
    type: 'bind',
    source: d.hostPath ?? d.path,
    options: ['rbind', 'nosuid', 'noexec', ...(readOnly ? ['ro'] : [])],
  };
}

/** A CDI mount; one without a type, or of type bind, is a bind (rbind unless the spec says bind). */
function cdiMount(m: CdiMount): OciMount {
  const options = [...(m.options ?? [])];
  const type = m.type || 'bind';
  if (type === 'bind' && !options.includes('bind') && !options.includes('rbind'))
    options.unshift('rbind');
  return { destination: m.containerPath, type, source: m.hostPath, options };
}
