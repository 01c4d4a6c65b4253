/** Everything the API layer may call: one narrow service per resource (no Daemon god object). */
import type { SystemRouteServices } from './routes/system.js';

export type ApiServices = SystemRouteServices;
