/**
 * Where skiff keeps things by default (ARCHITECTURE.md "Paths"): the same places Rootless Docker
 * uses, under skiff's own names, so both can coexist.
 */
import { join } from 'node:path';
import type { ConfigDefaults } from './daemon-config.js';

export function defaultPaths(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): ConfigDefaults {
  // Empty counts as unset (as for XDG_DATA_HOME below): never a relative path.
  const runtimeDir = env['XDG_RUNTIME_DIR'] || `/run/user/${process.getuid?.() ?? 0}`;
  const dataHome = env['XDG_DATA_HOME'] || join(home, '.local', 'share');
  const configHome = env['XDG_CONFIG_HOME'] || join(home, '.config');
  return {
    dataRoot: join(dataHome, 'skiff'),
    execRoot: join(runtimeDir, 'skiff'),
    socketPath: join(runtimeDir, 'docker.sock'),
    configFile: join(configHome, 'skiff', 'daemon.json'),
  };
}
