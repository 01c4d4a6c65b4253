/**
 * What skiffd does with its containers when it starts: remove half-created ones, adopt the ones
 * whose monitors kept running while it was away (live restore), record the true exit of those
 * that stopped meanwhile, and bring back the ones whose restart policy says so.
 */
import { messageOf } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerRunner } from './container-runner.js';
import { restartsWithDaemon } from './restart-policy.js';

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
        runner.adopt(current, task);
        continue;
      }
      // No monitor left: the container is gone and its exit status with it.
      await runner.removeBundle(rec.id).catch(() => undefined);
      await runner.save({
        ...rec,
        state: {
          ...rec.state,
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
