/** The whole route table, one group per resource. */
import { Router } from './router.js';
import type { ApiServices } from './services.js';
import { systemRoutes } from './routes/system.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { containerInspectionRoutes } from './routes/container-inspection.js';
import { containerArchiveRoutes } from './routes/container-archive.js';
import { containerMaintenanceRoutes } from './routes/container-maintenance.js';
import { volumeRoutes } from './routes/volumes.js';
import { eventRoutes } from './routes/events.js';
import { imageRoutes } from './routes/images.js';
import { systemDfRoutes } from './routes/system-df.js';
import { networkRoutes } from './routes/networks.js';
import { buildRoutes } from './routes/build.js';
import { swarmAndPluginRoutes } from './routes/swarm-and-plugins.js';

export function buildRouter(): Router<ApiServices> {
  const r = new Router<ApiServices>();
  systemRoutes(r);
  // /containers/prune before /containers/{id}/... would not matter (different shapes), but keep specific first.
  containerMaintenanceRoutes(r);
  containerRoutes(r);
  execRoutes(r);
  containerInspectionRoutes(r);
  containerArchiveRoutes(r);
  volumeRoutes(r);
  eventRoutes(r);
  imageRoutes(r);
  systemDfRoutes(r);
  networkRoutes(r);
  buildRoutes(r);
  swarmAndPluginRoutes(r);
  return r;
}
