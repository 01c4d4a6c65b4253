/** The whole route table, one group per resource. */
import { Router } from './router.js';
import type { ApiServices } from './services.js';
import { systemRoutes } from './routes/system.js';

export function buildRouter(): Router<ApiServices> {
  const r = new Router<ApiServices>();
  systemRoutes(r);
  return r;
}
