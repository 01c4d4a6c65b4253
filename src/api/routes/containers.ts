/** /containers/*: create, list, inspect, the lifecycle, wait, logs, attach, resize. */
import type { ContainerService, WaitCondition } from '../../daemon/containers/container-service.js';
import { CONTAINER_FILTERS, listContainers } from '../../daemon/containers/list-containers.js';
import { InvalidArgumentError } from '../../errors.js';
import { empty, json, type Reply } from '../reply.js';
import type { Router } from '../router.js';
import type { RequestContext } from '../request-context.js';
import { parseCreateBody } from '../wire/container-create.js';
import { inspectJson, summaryJson } from '../wire/container-json.js';
import { parseFilters } from '../wire/filters.js';
import { qBool, qBoolDefault, qInt, qTime } from '../wire/query.js';
import { quirks } from '../version.js';
import { pumpAttach } from '../streams/attach-pump.js';
import { logStream } from '../streams/log-stream.js';

export interface ContainerRouteServices {
  readonly containers: ContainerService;
}

const RAW_STREAM = 'application/vnd.docker.raw-stream';
const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

export function containerRoutes<S extends ContainerRouteServices>(r: Router<S>): void {
  r.on('POST', '/containers/create', async (ctx, s) => {
    const req = parseCreateBody(await ctx.body(), ctx.query.get('name'), ctx.query.get('platform'));
    const res = await s.containers.create(req);
    return json({ Id: res.id, Warnings: res.warnings }, 201);
  });

  r.on('GET', '/containers/json', async (ctx, s) => {
    const filters = parseFilters(ctx.query.get('filters'), CONTAINER_FILTERS);
    const withSize = qBool(ctx.query, 'size');
    const isAncestor = await s.containers.ancestorMatcher(filters.get('ancestor') ?? []);
    const records = listContainers(s.containers.list(), {
      all: qBool(ctx.query, 'all'),
      limit: qInt(ctx.query, 'limit') ?? -1,
      filters,
      isAncestor,
      find: (ref) => s.containers.get(ref),
    });
    const net = quirks(ctx.version).defaultNetworkModeName;
    const out = await Promise.all(
      records.map(async (c) => {
        const size = withSize ? await s.containers.sizes(c.id) : undefined;
        return summaryJson(c, {
          ...(size ? { sizeRw: size.rw, sizeRootFs: size.rootFs } : {}),
          defaultNetworkName: net,
        });
      }),
    );
    return json(out);
  });

  r.on('GET', '/containers/{id}/json', async (ctx, s) => {
    const rec = s.containers.get(ctx.params['id'] ?? '');
    const size = qBool(ctx.query, 'size') ? await s.containers.sizes(rec.id) : undefined;
    return json(
      inspectJson(rec, {
        execIds: s.containers.execs.idsOf(rec.id),
        graphDriver: await s.containers.graphDriver(rec.id),
        ...(size ? { sizeRw: size.rw, sizeRootFs: size.rootFs } : {}),
        defaultNetworkName: quirks(ctx.version).defaultNetworkModeName,
      }),
    );
  });

  r.on('POST', '/containers/{id}/start', async (ctx, s) => {
    if (ctx.query.get('checkpoint'))
      throw new InvalidArgumentError('checkpoint/restore is not supported in rootless mode');
    return empty(
      (await s.containers.start(ctx.params['id'] ?? '')) === 'already-running' ? 304 : 204,
    );
  });

  r.on('POST', '/containers/{id}/stop', async (ctx, s) => {
    const t = qInt(ctx.query, 't');
    const signal = ctx.query.get('signal');
    const res = await s.containers.stop(ctx.params['id'] ?? '', {
      ...(t !== undefined ? { timeoutSec: t } : {}),
      ...(signal ? { signal } : {}),
    });
    return empty(res === 'not-running' ? 304 : 204);
  });

  r.on('POST', '/containers/{id}/restart', async (ctx, s) => {
    const t = qInt(ctx.query, 't');
    const signal = ctx.query.get('signal');
    await s.containers.restart(ctx.params['id'] ?? '', {
      ...(t !== undefined ? { timeoutSec: t } : {}),
      ...(signal ? { signal } : {}),
    });
    return empty(204);
  });

  r.on('POST', '/containers/{id}/kill', async (ctx, s) => {
    await s.containers.kill(ctx.params['id'] ?? '', ctx.query.get('signal') || 'SIGKILL');
    return empty(204);
  });

  r.on('POST', '/containers/{id}/pause', async (ctx, s) => {
    await s.containers.pause(ctx.params['id'] ?? '');
    return empty(204);
  });

  r.on('POST', '/containers/{id}/unpause', async (ctx, s) => {
    await s.containers.unpause(ctx.params['id'] ?? '');
    return empty(204);
  });

  r.on('POST', '/containers/{id}/rename', async (ctx, s) => {
    const name = ctx.query.get('name');
    if (!name) throw new InvalidArgumentError('rename: a new name is required');
    await s.containers.rename(ctx.params['id'] ?? '', name);
    return empty(204);
  });

  r.on('DELETE', '/containers/{id}', async (ctx, s) => {
    if (qBool(ctx.query, 'link')) throw new InvalidArgumentError('legacy links are not supported');
    await s.containers.remove(ctx.params['id'] ?? '', {
      force: qBool(ctx.query, 'force'),
      volumes: qBool(ctx.query, 'v'),
    });
    return empty(204);
  });

  r.on('POST', '/containers/{id}/wait', (ctx, s) => waitReply(ctx, s.containers));

  r.on('POST', '/containers/{id}/resize', async (ctx, s) => {
    const h = qInt(ctx.query, 'h') ?? 0;
    const w = qInt(ctx.query, 'w') ?? 0;
    if (h < 0 || w < 0)
      throw new InvalidArgumentError('invalid resize: height and width must be positive');
    await s.containers.resize(ctx.params['id'] ?? '', h, w);
    return { kind: 'text', status: 200, body: '', contentType: 'text/plain; charset=utf-8' };
  });

  r.on('GET', '/containers/{id}/logs', (ctx, s) => {
    const q = ctx.query;
    const tail = q.get('tail');
    const since = qTime(q, 'since');
    const until = qTime(q, 'until');
    const res = s.containers.logs(
      ctx.params['id'] ?? '',
      {
        follow: qBool(q, 'follow'),
        stdout: qBool(q, 'stdout'),
        stderr: qBool(q, 'stderr'),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        // dockerd: a tail that is not a number means all lines.
        ...(tail !== null && /^\d+$/.test(tail) ? { tail: Number(tail) } : {}),
      },
      ctx.signal,
    );
    return Promise.resolve({
      kind: 'stream',
      status: 200,
      contentType: res.tty ? RAW_STREAM : MULTIPLEXED,
      body: logStream(res.lines, { tty: res.tty, timestamps: qBool(q, 'timestamps') }),
      eagerHeaders: true,
    });
  });

  r.on('POST', '/containers/{id}/attach', (ctx, s) => {
    const q = ctx.query;
    const plan = s.containers.attach(
      ctx.params['id'] ?? '',
      {
        stream: qBool(q, 'stream'),
        logs: qBool(q, 'logs'),
        stdin: qBool(q, 'stdin'),
        stdout: qBoolDefault(q, 'stdout', false),
        stderr: qBoolDefault(q, 'stderr', false),
      },
      ctx.signal,
    );
    const detachKeys = q.get('detachKeys') ?? undefined;
    // Registered now, before the upgrade answer: a client starts the container as soon as it
    // has that answer (docker run, compose run), and a start that came before the registration
    // would be missed — its output lost and the attach left waiting for a start that never comes.
    const live = plan.live?.(ctx.signal);
    live?.catch(() => undefined);
    const reply: Reply = {
      kind: 'hijack',
      contentType: plan.tty ? RAW_STREAM : MULTIPLEXED,
      run: async ({ socket }) => {
        await pumpAttach(
          socket,
          {
            tty: plan.tty,
            stdin: qBool(q, 'stdin') && plan.stdinOpen,
            stdout: qBool(q, 'stdout'),
            stderr: qBool(q, 'stderr'),
            ...(detachKeys ? { detachKeys } : {}),
            ...(plan.history ? { history: plan.history } : {}),
            ...(live ? { live: () => live } : {}),
          },
          ctx.signal,
        );
      },
    };
    return Promise.resolve(reply);
  });
}

function waitReply(ctx: RequestContext, containers: ContainerService): Promise<Reply> {
  const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(condition))
    throw new InvalidArgumentError(`invalid condition: "${condition}"`);
  // Registers the waiter now (404 before headers); the result follows when the container exits.
  const result = containers.wait(ctx.params['id'] ?? '', condition, ctx.signal);
  async function* body(): AsyncIterable<string> {
    const r = await result;
    yield `${JSON.stringify({ StatusCode: r.code, ...(r.error ? { Error: { Message: r.error } } : {}) })}\n`;
  }
  return Promise.resolve({
    kind: 'stream',
    status: 200,
    contentType: 'application/json',
    body: body(),
    eagerHeaders: true,
  });
}
