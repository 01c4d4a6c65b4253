/**
 * The composition root proper: the one place that does `new` on services, handing each its
 * dependencies explicitly (STYLE §1 note 2).
 */
import { readdir } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { HostProfile } from '../host.js';
import type { ApiServices } from '../api/services.js';
import { SystemService, type EngineIdentity } from '../daemon/system/system-service.js';
import type { DaemonConfig } from './config/daemon-config.js';
import type { SkiffdEnvironment } from './config/environment.js';

export interface ServiceInputs {
  readonly config: DaemonConfig;
  readonly host: HostProfile;
  readonly identity: EngineIdentity;
  readonly env: SkiffdEnvironment;
  readonly log: Logger;
  readonly projectRoot: string;
}

export interface BuiltServices {
  readonly api: ApiServices;
  shutdown(o: { stopContainers: boolean }): Promise<void>;
}

export function buildServices(i: ServiceInputs): Promise<BuiltServices> {
  const system = new SystemService({
    host: i.host,
    identity: i.identity,
    config: {
      dataRoot: i.config.dataRoot,
      debug: i.config.logLevel === 'debug' || i.config.logLevel === 'trace',
      experimental: i.config.experimental,
      liveRestore: i.config.liveRestore,
      logDriver: i.config.logDriver,
      noNewPrivileges: i.config.noNewPrivileges,
      insecureRegistries: i.config.insecureRegistries,
      registryMirrors: i.config.registryMirrors,
      labels: i.config.labels,
      initBinary: i.config.initPath ?? i.host.binaries.tini ?? i.host.binaries.catatonit ?? '',
      httpProxy: i.env.httpProxy,
      httpsProxy: i.env.httpsProxy,
      noProxy: i.env.noProxy,
    },
    counts: () => Promise.resolve({ containers: 0, running: 0, paused: 0, stopped: 0, images: 0 }),
    eventListeners: () => 0,
    openFileDescriptors: async () => (await readdir('/proc/self/fd')).length,
  });
  return Promise.resolve({
    api: { system },
    shutdown: () => Promise.resolve(),
  });
}
