/**
 * A container's own network namespace, kept alive by a bind mount of its nsfs file instead of
 * by a process, so that it outlives skiffd and the container's processes alike (a restart of
 * the container or of skiffd finds it where it was). util-linux `unshare --net=<file>` makes it
 * and mounts it; skiffd runs in the rootlesskit holder's user and mount namespaces, so the
 * namespace belongs to the holder's user namespace and the mount lives in the holder's mount
 * namespace, which nothing but the holder keeps alive.
 */
import { once } from 'node:events';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InternalError, messageOf } from '../errors.js';
import { spawnChild, spawnCollect } from '../proc/run.js';

export interface NetnsTools {
  readonly unshare: string;
  readonly umount: string;
  /** util-linux mount: binds the namespaces of createNetns with an owner. */
  readonly mount?: string;
}

/** One uid_map/gid_map line: ids of the new user namespace → ids of skiffd's. */
export interface NetnsIdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

/**
 * A user namespace of its own to own the network namespace (`--userns keep-id`): runc 1.1's
 * `exec` joins the container's user namespace first and only then the others, and from inside
 * it cannot join a network namespace owned by skiffd's (EPERM: runc issue 4390, fixed by a
 * two-pass join in runc PR 4492, 1.2.x).
 * The user namespace is kept at `usernsPathOf(path)`, and the container joins it by path.
 */
export interface NetnsOwner {
  readonly uidMappings: readonly NetnsIdMapping[];
  readonly gidMappings: readonly NetnsIdMapping[];
}

/** Where createNetns keeps the user namespace that owns the network namespace at `netnsPath`. */
export function usernsPathOf(netnsPath: string): string {
  return `${netnsPath}.userns`;
}

/** Creates (or re-creates) an empty network namespace bind-mounted at `path`. */
export async function createNetns(
  tools: NetnsTools,
  path: string,
  owner?: NetnsOwner,
): Promise<void> {
  await removeNetns(tools, path);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // The mount point must exist as a file; unshare mounts the new namespace over it.
  await writeFile(path, '', { mode: 0o600 });
  if (owner) {
    await createOwnedNetns(tools, path, owner);
    return;
  }
  const r = await spawnCollect(tools.unshare, [`--net=${path}`, 'true'], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    await rm(path, { force: true }).catch(() => undefined);
    throw new InternalError(
      `could not create the network namespace ${path}: ${r.stderr.trim() || `unshare exited ${String(r.code)}`}`,
    );
  }
}

/** What unshare runs in the new namespaces: says it is there, then waits for stdin's end. */
const WAIT_SCRIPT =
  "process.stdout.write('ready\\n');process.stdin.on('data',()=>{}).on('end',()=>process.exit(0))";
const OWNED_NETNS_TIMEOUT_MS = 30_000;

/**
 * `unshare --user --net` around a process that waits while skiffd (root of the parent user
 * namespace, so allowed any ids it has) writes its uid_map and gid_map and bind-mounts both
 * namespaces; they stay once it exits. (`unshare --user=<file>` cannot do the binds: util-linux
 * 2.38's helper gets EPERM mounting a user namespace's file, even as real root.)
 */
async function createOwnedNetns(tools: NetnsTools, path: string, owner: NetnsOwner): Promise<void> {
  const mount = tools.mount;
  if (mount === undefined)
    throw new InternalError('no mount binary: cannot keep a user-namespaced network namespace');
  const userns = usernsPathOf(path);
  await writeFile(userns, '', { mode: 0o600 });
  const child = spawnChild(
    tools.unshare,
    ['--user', '--net', '--', process.execPath, '-e', WAIT_SCRIPT],
    { stdio: ['pipe', 'pipe', 'pipe'], env: {} },
  );
  const bind = async (from: string, to: string): Promise<void> => {
    const r = await spawnCollect(mount, ['--bind', from, to], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(r.stderr.trim() || `mount exited ${String(r.code)}`);
  };
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    if (stderr.length < 4096) stderr += b.toString();
  });
  child.stdin?.on('error', () => undefined);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill('SIGKILL'), OWNED_NETNS_TIMEOUT_MS);
  try {
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => {
        resolve();
      });
      child.once('error', reject);
      void exited.then(() => {
        reject(new Error(stderr.trim() || 'unshare exited early'));
      });
    });
    await ready;
    const pid = child.pid ?? 0;
    const lines = (m: readonly NetnsIdMapping[]): string =>
      m.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
    await writeFile(`/proc/${pid}/uid_map`, lines(owner.uidMappings));
    await writeFile(`/proc/${pid}/gid_map`, lines(owner.gidMappings));
    await bind(`/proc/${pid}/ns/net`, path);
    await bind(`/proc/${pid}/ns/user`, userns);
    child.stdin?.end();
    const [code] = await exited;
    if (code !== 0) throw new Error(stderr.trim() || `unshare exited ${String(code)}`);
  } catch (e) {
    child.kill('SIGKILL');
    await removeNetns(tools, path).catch(() => undefined);
    throw new InternalError(
      `could not create the network namespace ${path} in a user namespace of its own: ${messageOf(e)}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Unmounts and deletes a namespace made by createNetns; nothing to do when it is gone. */
export async function removeNetns(tools: NetnsTools, path: string): Promise<void> {
  await removeNsFile(tools, usernsPathOf(path));
  await removeNsFile(tools, path);
}

async function removeNsFile(tools: NetnsTools, path: string): Promise<void> {
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (!exists) return;
  // Repeated: a path mounted twice (a crash between two creates) needs two unmounts.
  for (let i = 0; i < 4; i++) {
    const r = await spawnCollect(tools.umount, [path], { timeoutMs: 30_000 });
    if (r.code !== 0) break;
  }
  await rm(path, { force: true });
}
