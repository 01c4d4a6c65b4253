/** The engine's identity: a stable ID kept in the data root, and the build's version. */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { EngineIdentity } from '../daemon/system/system-service.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { isNotFound } from '../errors.js';

export async function loadEngineIdentity(
  dataRoot: string,
  packageJsonPath: string,
): Promise<EngineIdentity> {
  const idFile = join(dataRoot, 'engine-id');
  let id: string;
  try {
    id = (await readFile(idFile, 'utf8')).trim();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    id = randomUUID();
    await writeFileAtomic(idFile, `${id}\n`, 0o600);
  }
  const pkg = JSON.parse(await readFile(packageJsonPath, 'utf8')) as { version?: unknown };
  return {
    id,
    name: hostname(),
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    gitCommit: '',
    buildTime: '',
  };
}
