/** /_ping, /version, /info. */
import type { SystemService } from '../../daemon/system/system-service.js';
import { empty, json, text } from '../reply.js';
import type { Router } from '../router.js';
import { MAX_API_VERSION } from '../version.js';
import { infoJson, versionJson } from '../wire/system.js';

export interface SystemRouteServices {
  readonly system: SystemService;
}

/** Headers the docker CLI reads from /_ping (Builder-Version 1: the classic /build endpoint). */
function pingHeaders(): Record<string, string> {
  return {
    'API-Version': MAX_API_VERSION,
    'Builder-Version': '1',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    Swarm: 'inactive',
  };
}

export function systemRoutes<S extends SystemRouteServices>(r: Router<S>): void {
  r.on('GET', '/_ping', (ctx) =>
    Promise.resolve(
      ctx.method === 'HEAD' ? empty(200, pingHeaders()) : { ...text('OK'), headers: pingHeaders() },
    ),
  );
  r.on('HEAD', '/_ping', () =>
    Promise.resolve(
      empty(200, {
        ...pingHeaders(),
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': '0',
      }),
    ),
  );
  r.on('GET', '/version', (_ctx, s) => {
    const h = s.system.host;
    const extra = [...(h.runtime ? [{ name: h.runtime.name, version: h.runtime.version }] : [])];
    return Promise.resolve(json(versionJson(s.system.identity, h, extra)));
  });
  r.on('GET', '/info', async (_ctx, s) => json(infoJson(await s.system.info())));
}
