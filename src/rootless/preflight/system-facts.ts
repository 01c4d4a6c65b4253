/**
 * The outside world as the preflight checks see it, injected (STYLE R8) so that unit tests pass
 * a fake machine instead of patching globals.
 */
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { findBinary } from '../../proc/find-binary.js';
import { spawnCollect } from '../../proc/run.js';
import { parseOsRelease, type Distro } from './distro.js';

export interface UserFacts {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface FileFacts {
  readonly uid: number;
  readonly mode: number;
  readonly isDirectory: boolean;
  readonly isSocket: boolean;
}

export interface SystemFacts {
  readonly user: UserFacts;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly distro: Distro;
  /** undefined when the file does not exist or cannot be read. */
  readFile(path: string): Promise<string | undefined>;
  stat(path: string): Promise<FileFacts | undefined>;
  findBinary(name: string): string | undefined;
  /** `getcap <path>` output (file capabilities); undefined without getcap. */
  fileCapabilities?(path: string): Promise<string | undefined>;
}

export async function realSystemFacts(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SystemFacts> {
  const info = userInfo();
  const read = async (p: string): Promise<string | undefined> => {
    try {
      return await readFile(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    user: { name: info.username, uid: info.uid, gid: info.gid, home: info.homedir },
    env,
    distro: parseOsRelease((await read('/etc/os-release')) ?? ''),
    readFile: read,
    stat: async (p) => {
      try {
        const s = await stat(p);
        return {
          uid: s.uid,
          mode: s.mode & 0o7777,
          isDirectory: s.isDirectory(),
          isSocket: s.isSocket(),
        };
      } catch {
        return undefined;
      }
    },
    findBinary: (name) => findBinary(name, env['PATH']),
    fileCapabilities: async (path) => {
      // getcap lives in /usr/sbin or /sbin, often not on a user's PATH.
      const getcap = findBinary('getcap', env['PATH']) ?? findBinary('getcap', '/usr/sbin:/sbin');
      if (!getcap) return undefined;
      const r = await spawnCollect(getcap, [path]).catch(() => undefined);
      return r?.code === 0 ? r.stdout : undefined;
    },
  };
}
