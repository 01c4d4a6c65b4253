/**
 * POST /build (the classic builder's JSON-lines stream), POST /build/prune (`docker builder
 * prune`). An error before the first line is a plain error reply (dockerd: "output not flushed
 * yet"); after it, an errorDetail line carrying a failed RUN's exit code, which the docker CLI
 * exits with.
 */
import { BuildOutput } from '../../build/build-output.js';
import type { BuildService } from '../../build/build-service.js';
import type { BuildOptions } from '../../build/build-options.js';
import { RunStepError } from '../../build/run-step-error.js';
import { messageOf } from '../../errors.js';
import type { Readable } from 'node:stream';
import { json, type Reply } from '../reply.js';
import type { Router } from '../router.js';
import { parseBuildQuery } from '../wire/build-query.js';
import { parseFilters } from '../wire/filters.js';
import { qBool, qInt, qTime } from '../wire/query.js';

export interface BuildRouteServices {
  readonly builds: BuildService;
}

export function buildRoutes<S extends BuildRouteServices>(r: Router<S>): void {
  r.on('POST', '/build', (ctx, s) => {
    const header = ctx.headers['x-registry-config'];
    const options = parseBuildQuery(ctx.query, Array.isArray(header) ? header[0] : header);
    const reply: Reply = {
      kind: 'stream',
      status: 200,
      contentType: 'application/json',
      body: buildLines(s.builds, options, ctx.raw, ctx.signal),
      errorFor: buildErrorLine,
    };
    return Promise.resolve(reply);
  });

  r.on('POST', '/build/prune', async (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), [
      'until',
      'id',
      'parent',
      'type',
      'description',
      'inuse',
      'shared',
      'private',
    ]);
    const untilRaw = f.get('until')?.[0];
    const until = untilRaw ? qTime(new URLSearchParams({ until: untilRaw }), 'until') : undefined;
    const res = await s.builds.prune({
      all: qBool(ctx.query, 'all'),
      keepStorage: qInt(ctx.query, 'keep-storage') ?? qInt(ctx.query, 'reserved-space') ?? 0,
      ...(until ? { until } : {}),
      ids: f.get('id') ?? [],
    });
    return json({
      CachesDeleted: res.deleted.map((id) => id.replace(/^sha256:/, '')),
      SpaceReclaimed: res.reclaimed,
    });
  });
}

async function* buildLines(
  builds: BuildService,
  options: BuildOptions,
  body: Readable,
  signal: AbortSignal,
): AsyncIterable<string> {
  const out = new BuildOutput(options.quiet);
  const st: { failed: boolean; error: unknown } = { failed: false, error: undefined };
  const done = builds.build(options, body, out, signal).then(
    () => {
      out.end();
    },
    (e: unknown) => {
      st.failed = true;
      st.error = e;
      out.end();
    },
  );
  yield* out.lines();
  await done;
  if (st.failed) throw st.error instanceof Error ? st.error : new Error(messageOf(st.error));
}

function buildErrorLine(err: unknown): string {
  const message = messageOf(err);
  const code = err instanceof RunStepError ? err.exitCode : undefined;
  return `${JSON.stringify({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message })}\n`;
}
