/**
 * POST /build/prune. skiff has no builder yet (CONTRIBUTING.md: `docker build` is not
 * implemented), so there is no build cache and nothing to delete: the honest answer is an empty
 * prune, which lets `docker system prune` (it prunes the build cache last, from API 1.31) finish
 * instead of failing with `page not found`. The builder, when it comes, replaces this route.
 */
import { json } from '../reply.js';
import type { Router } from '../router.js';
import { parseFilters } from '../wire/filters.js';

export function buildCacheRoutes<S>(r: Router<S>): void {
  r.on('POST', '/build/prune', (ctx) => {
    // Refuse malformed filters as dockerd would; there is no cache for valid ones to select.
    parseFilters(ctx.query.get('filters'), [
      'until',
      'id',
      'parent',
      'type',
      'description',
      'inuse',
      'shared',
      'private',
    ]);
    return Promise.resolve(json({ CachesDeleted: [], SpaceReclaimed: 0 }));
  });
}
