/** `docker container prune` and `docker update`. */
import { InvalidArgumentError } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import {
  NO_RESOURCE_LIMITS,
  type HostConfig,
  type Resources,
  type RestartPolicy,
} from './container-config.js';
import type { ContainerControl } from './container-control.js';

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

/** Applies an update under the container's lock; returns the warnings for limits that cannot apply here. */
export async function updateContainer(
  ctx: ContainerContext,
  ref: string,
  u: UpdateRequest,
): Promise<string[]> {
  const rec = ctx.store.find(ref);
  if (u.restartPolicy && u.restartPolicy.name !== 'no' && rec.hostConfig.autoRemove)
    throw new InvalidArgumentError(
      'Restart policy cannot be updated because AutoRemove is enabled for the container',
    );
  const hostConfig: HostConfig = {
    ...rec.hostConfig,
    ...(u.restartPolicy ? { restartPolicy: u.restartPolicy } : {}),
    resources: { ...rec.hostConfig.resources, ...u.resources },
  };
  await ctx.locks.with(`container:${rec.id}`, async () => {
    const cur = ctx.store.find(rec.id);
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
