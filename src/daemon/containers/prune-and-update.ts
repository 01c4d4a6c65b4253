/** `docker container prune` and `docker update`. */
import { ConflictError, InternalError, messageOf } from '../../errors.js';
import type { Task } from '../../runtime/runtime.js';
import { ociResources } from '../../runtime/spec/build-spec.js';
import type { ContainerContext } from './container-context.js';
import {
  NO_RESOURCE_LIMITS,
  type HostConfig,
  type Resources,
  type RestartPolicy,
} from './container-config.js';
import type { ContainerControl } from './container-control.js';
import { checkNanoCpus } from './create-container.js';

export async function pruneContainers(
  ctx: ContainerContext,
  control: ContainerControl,
  o: {
    until?: Date;
    labels: readonly string[];
    notLabels: readonly string[];
    usage: (id: string) => Promise<number>;
  },
): Promise<{ deleted: string[]; reclaimed: number }> {
  const deleted: string[] = [];
  let reclaimed = 0;
  const label = (labels: Readonly<Record<string, string>>, f: string): boolean => {
    const i = f.indexOf('=');
    return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
  };
  for (const c of ctx.store.all()) {
    if (!['created', 'exited', 'dead'].includes(c.state.status)) continue;
    if (o.until && Date.parse(c.created) >= o.until.getTime()) continue;
    if (!o.labels.every((f) => label(c.config.labels, f))) continue;
    if (o.notLabels.some((f) => label(c.config.labels, f))) continue;
    const bytes = await o.usage(c.id);
    await control.remove(c.id, { force: false, volumes: false }).then(
      () => {
        deleted.push(c.id);
        reclaimed += bytes;
      },
      () => undefined,
    );
  }
  return { deleted, reclaimed };
}

export interface UpdateRequest {
  readonly restartPolicy?: RestartPolicy;
  readonly resources?: Partial<Resources>;
}

/**
 * What dockerd's container.UpdateContainer refuses (container/container_unix.go), in its words:
 * NanoCpus against an existing CPU period/quota and the reverse, and a restart policy for an
 * AutoRemove container.
 */
function updateConflict(cur: HostConfig, u: UpdateRequest): string | undefined {
  const r = u.resources ?? {};
  const has = cur.resources;
  if ((r.nanoCpus ?? 0) > 0 && has.cpuPeriod > 0)
    return 'Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set';
  if ((r.nanoCpus ?? 0) > 0 && has.cpuQuota > 0)
    return 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set';
  if ((r.cpuPeriod ?? 0) > 0 && has.nanoCpus > 0)
    return 'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set';
  if ((r.cpuQuota ?? 0) > 0 && has.nanoCpus > 0)
    return 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set';
  if (u.restartPolicy && u.restartPolicy.name !== 'no' && cur.autoRemove)
    return 'Restart policy cannot be updated because AutoRemove is enabled for the container';
  return undefined;
}

/**
 * As dockerd, a 0 in an update means "leave as is" (the CLI sends every field); only PidsLimit,
 * a pointer in Go, changes whenever it is given.
 */
function changedResources(r: Partial<Resources>): Partial<Resources> {
  return Object.fromEntries(
    Object.entries(r).filter(([k, v]) => k === 'pidsLimit' || (v !== 0 && v !== '')),
  );
}

/** Applies an update under the container's lock; returns the warnings for limits that cannot apply here. */
export async function updateContainer(
  ctx: ContainerContext,
  ref: string,
  u: UpdateRequest,
  /** The running task of a container, to apply new limits to it at once. */
  taskOf: (id: string) => Task | undefined = () => undefined,
): Promise<string[]> {
  const rec = ctx.store.find(ref);
  if (u.resources?.nanoCpus !== undefined) checkNanoCpus(u.resources.nanoCpus, ctx.host.ncpu);
  const conflict = updateConflict(rec.hostConfig, u);
  // dockerd 28 (container.UpdateContainer): a 409 naming the container.
  if (conflict) throw new ConflictError(`Cannot update container ${rec.id}: ${conflict}`);
  const changed = changedResources(u.resources ?? {});
  const hostConfig: HostConfig = {
    ...rec.hostConfig,
    ...(u.restartPolicy ? { restartPolicy: u.restartPolicy } : {}),
    resources: { ...rec.hostConfig.resources, ...changed },
  };
  await ctx.locks.with(`container:${rec.id}`, async () => {
    const cur = ctx.store.find(rec.id);
    // A running container gets its new limits now, as with dockerd (where a cgroup of its own
    // exists: delegated cgroup v2; otherwise the warnings below say so). The record changes
    // only when the runtime took them.
    const task = cur.state.status === 'running' ? taskOf(rec.id) : undefined;
    if (task && Object.keys(changed).length > 0) {
      const { devices: _devices, ...limits } = ociResources(hostConfig.resources);
      await task.update(limits).catch((e: unknown) => {
        throw new InternalError(`Cannot update container ${rec.id}: ${messageOf(e)}`, {
          cause: e,
        });
      });
    }
    await ctx.store.save({ ...cur, hostConfig });
  });
  ctx.events.publish('container', 'update', rec.id, { image: rec.config.image, name: rec.name });
  return u.resources
    ? ctx.spec.resourceWarnings({
        ...hostConfig,
        resources: { ...NO_RESOURCE_LIMITS, ...u.resources },
      })
    : [];
}
