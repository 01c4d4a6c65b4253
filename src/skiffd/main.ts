#!/usr/bin/env node
/**
 * skiffd, the Engine API daemon. Started by `skiff daemon` inside the holder's user and mount
 * namespaces (it is "root" there) but in the host's network namespace. This file only wires:
 * it reads the configuration, detects the host once, builds every service with its
 * dependencies, opens the listeners and handles signals.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { EngineError, messageOf } from '../errors.js';
import { createLogger } from '../log.js';
import { buildRouter } from '../api/build-router.js';
import { ApiServer } from '../api/server.js';
import { readEnvironment } from './config/environment.js';
import { parseDaemonFlags } from './config/daemon-flags.js';
import { defaultPaths } from './config/default-paths.js';
import { loadDaemonConfig } from './config/load-config.js';
import { detectHost } from '../rootless/detect-host.js';
import { loadEngineIdentity } from './engine-identity.js';
import { buildServices } from './build-services.js';
import { installLastResortHandlers } from './last-resort.js';
import { mark, startMarks } from '../start-marks.js';
import { MemoryRelease } from './memory-release.js';
import { confined } from '../confine/confined-fs.js';

/** Exit code that tells `skiff daemon` not to restart us (see rootless/supervisor.ts). */
const EXIT_FATAL_CONFIG = 78;
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
/** How long after the last request skiffd gives its freed memory back (skiffd/memory-release.ts). */
const MEMORY_RELEASE_QUIET_MS = 1000;

async function main(argv: readonly string[]): Promise<void> {
  mark('skiffd-loaded');
  const env = readEnvironment();
  const flags = parseDaemonFlags(argv);
  const { config, ignoredKeys } = await loadDaemonConfig(
    defaultPaths(env.vars, env.home),
    flags.patch,
  );
  const log = createLogger(config.logLevel);
  installLastResortHandlers(log);
  if (ignoredKeys.length > 0)
    log.warn({ keys: ignoredKeys }, 'daemon.json keys without effect in rootless mode');
  await mkdir(config.dataRoot, { recursive: true, mode: 0o700 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
  mark('config');

  const host = await detectHost({
    dataRoot: config.dataRoot,
    execRoot: config.execRoot,
    pathEnv: env.pathEnv,
    nativeDir: `${projectRoot}native/build`,
    ...(flags.holderPid !== undefined ? { holderPid: flags.holderPid } : {}),
    ...(config.storageDriver ? { storageDriver: config.storageDriver } : {}),
    ...(config.runtime ? { runtime: config.runtime } : {}),
    ...(config.mtu !== undefined ? { mtu: config.mtu } : {}),
    ...(config.seccompProfile !== undefined ? { seccompProfile: config.seccompProfile } : {}),
  });
  log.info(
    {
      rootless: host.rootless,
      storage: host.storage.driver,
      runtime: host.runtime?.name,
      cgroup: host.cgroup.layout,
      holder: host.holderPid,
    },
    'host detected',
  );
  for (const w of host.warnings) log.warn(w);
  mark('host-detected');

  const identity = await loadEngineIdentity(config.dataRoot, `${projectRoot}package.json`);
  mark('identity');
  const services = await buildServices({ config, host, identity, env, log, projectRoot });
  const memory = new MemoryRelease(() => confined().mallocTrim(), MEMORY_RELEASE_QUIET_MS);
  const server = new ApiServer({
    router: buildRouter(),
    services: services.api,
    log: log.child({ component: 'api' }),
    serverHeader: `skiff/${identity.version} (linux)`,
    experimental: config.experimental,
    ...(config.tls ? { tls: config.tls } : {}),
    onRequestEnd: () => {
      memory.activity();
    },
  });
  try {
    await server.listen(config.hosts);
  } catch (e) {
    await services.shutdown({ stopContainers: false });
    throw e;
  }
  mark('listening');
  log.info({ version: identity.version, dataRoot: config.dataRoot }, 'skiffd ready');
  log.debug(startMarks(), 'start phases');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new requests, finishing in-flight ones');
    void (async () => {
      await server.close();
      memory.stop();
      await services.shutdown({ stopContainers: !config.liveRestore });
      log.info('skiffd stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const fatalConfig =
    err instanceof EngineError && (err.kind === 'invalid-argument' || err.kind === 'conflict');
  process.stderr.write(`skiffd: ${messageOf(err)}\n`);
  if (!fatalConfig && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(fatalConfig ? EXIT_FATAL_CONFIG : 1);
});
