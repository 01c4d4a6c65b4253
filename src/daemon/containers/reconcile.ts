/**
 * What skiffd does with its containers when it starts: remove half-created ones, adopt the ones
 * whose monitors kept running while it was away (live restore), record the true exit of those
 * that stopped meanwhile, and bring back the ones whose restart policy says so.
 */
import { messageOf } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRecord, PublishedPort } from './container-record.js';
import type { PortSpec } from '../../network/port-forwarder.js';
import type { ContainerRunner } from './container-runner.js';
import { restartsWithDaemon } from './restart-policy.js';
import { unpublishPorts } from './publish-ports.js';

export async function reconcileContainers(
  ctx: ContainerContext,
  runner: ContainerRunner,
  records: readonly ContainerRecord[],
  orphans: readonly string[],
): Promise<void> {
  for (const id of orphans) {
    await ctx.snapshots.remove(id).catch(() => undefined);
    await ctx.store.removeOrphan(id);
    ctx.log.info({ id }, 'removed the leftovers of an interrupted create');
  }
  const toStart: string[] = [];
  for (const rec of records) {
    try {
      if (rec.creating) {
        await ctx.snapshots.remove(rec.id).catch(() => undefined);
        await ctx.store.delete(rec.id);
        ctx.log.info({ id: rec.id }, 'removed a half-created container');
        continue;
      }
      const wasActive =
        rec.state.status === 'running' ||
        rec.state.status === 'paused' ||
        rec.state.status === 'restarting' ||
        rec.state.status === 'removing';
      if (!wasActive) {
        if (
          restartsWithDaemon(
            rec.hostConfig.restartPolicy,
            rec.state.exitCode,
            rec.state.manuallyStopped,
          ) &&
          rec.state.status === 'exited'
        )
          toStart.push(rec.id);
        continue;
      }
      const task = ctx.runtime ? await ctx.runtime.get(rec.id, runner.bundle(rec.id)) : undefined;
      if (task) {
        const state = await task.state();
        ctx.log.info(
          { id: rec.id, pid: task.pid, status: state.status },
          'adopted a container that outlived skiffd',
        );
        // monitor() records an exit that already happened as soon as wait() resolves.
        const current =
          rec.state.status === 'restarting'
            ? await runner.save({
                ...rec,
                state: { ...rec.state, status: 'running', pid: task.pid },
              })
            : rec;
        ctx.networking?.adopt(current);
        const republished = await republishPorts(ctx, current).catch((e: unknown) => {
          ctx.log.warn({ id: rec.id, err: messageOf(e) }, 'could not publish its ports again');
          return current;
        });
        runner.adopt(republished, task);
        continue;
      }
      // No monitor left: the container is gone and its exit status with it; what it had
      // published and its network namespace go too.
      await runner.removeBundle(rec.id).catch(() => undefined);
      if (ctx.ports && rec.state.ports) await unpublishPorts(ctx.ports, rec.state.ports);
      await runner.detachNetwork(rec, rec.state.network);
      const { network: _network, ...rest } = rec.state;
      await runner.save({
        ...rec,
        state: {
          ...rest,
          ports: [],
          status: 'exited',
          pid: 0,
          exitCode: rec.state.status === 'restarting' ? rec.state.exitCode : 255,
          finishedAt: new Date().toISOString(),
        },
      });
      if (restartsWithDaemon(rec.hostConfig.restartPolicy, 255, rec.state.manuallyStopped))
        toStart.push(rec.id);
    } catch (e) {
      ctx.log.error({ id: rec.id, err: messageOf(e) }, 'could not restore container');
    }
  }
  for (const id of toStart) {
    await runner.start(id).catch((e: unknown) => {
      ctx.log.warn({ id, err: messageOf(e) }, 'restart at daemon start failed');
    });
  }
}

/**
 * The forwards of an adopted container live in rootlesskit's parent, which normally outlives
 * skiffd; when it did not (a new rootlesskit around the same holder), they are added again.
 */
async function republishPorts(
  ctx: ContainerContext,
  rec: ContainerRecord,
): Promise<ContainerRecord> {
  const fw = ctx.ports;
  const ports = rec.state.ports ?? [];
  if (!fw || ports.length === 0) return rec;
  const live = new Set((await fw.list()).map((p) => p.id));
  if (ports.every((p) => live.has(p.forwardId))) return rec;
  const ip = rec.state.network?.endpoints[0]?.ipv4Address;
  const again: PublishedPort[] = [];
  for (const p of ports) {
    if (live.has(p.forwardId)) {
      again.push(p);
      continue;
    }
    const [port = '0', proto = 'tcp'] = p.key.split('/');
    const forwardId = await fw.add({
      proto: proto as PortSpec['proto'],
      hostIp: p.hostIp === '0.0.0.0' ? '' : p.hostIp,
      hostPort: p.hostPort,
      containerPort: Number(port),
      ...(ip ? { containerIp: ip } : {}),
    });
    again.push({ ...p, forwardId });
  }
  ctx.log.info({ id: rec.id }, 'published the ports of an adopted container again');
  return ctx.store.save({ ...rec, state: { ...rec.state, ports: again } });
}
