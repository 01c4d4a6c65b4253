/** Everything the API layer may call: one narrow service per resource (no Daemon god object). */
import type { SystemRouteServices } from './routes/system.js';
import type { ContainerRouteServices } from './routes/containers.js';
import type { ExecRouteServices } from './routes/exec.js';
import type { InspectionRouteServices } from './routes/container-inspection.js';
import type { ArchiveRouteServices } from './routes/container-archive.js';
import type { MaintenanceRouteServices } from './routes/container-maintenance.js';
import type { VolumeRouteServices } from './routes/volumes.js';
import type { EventRouteServices } from './routes/events.js';
import type { ImageRouteServices } from './routes/images.js';
import type { SystemDfServices } from './routes/system-df.js';
import type { NetworkRouteServices } from './routes/networks.js';
import type { BuildRouteServices } from './routes/build.js';

export type ApiServices = SystemRouteServices &
  ContainerRouteServices &
  ExecRouteServices &
  InspectionRouteServices &
  ArchiveRouteServices &
  MaintenanceRouteServices &
  VolumeRouteServices &
  EventRouteServices &
  ImageRouteServices &
  SystemDfServices &
  NetworkRouteServices &
  BuildRouteServices;
