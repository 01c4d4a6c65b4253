/**
 * `--user` / the image's USER against the image's /etc/passwd and /etc/group, read from the
 * container's rootfs without following a symlink out of it. Docker's rules and messages
 * (moby/sys/user): numeric ids need no entry; an unknown name is an error.
 *
 * The rootfs belongs to the container: its /etc/passwd may be a FIFO (a plain open would block a
 * libuv thread for good, and every exec and health check takes one), a device, or gigabytes.
 * Whatever is not a regular file reads as missing, as Docker treats a file it cannot open; only
 * the first PASSWD_MAX_BYTES are read; a lookup that still does not finish in time reads as
 * missing too.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { O_PATH } from '../../confine/confined-fs.js';
import { closeFd, openInRoot, openRootDir } from '../../confine/confined-root.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ResolvedUser } from './spec-input.js';

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/** Far above any real passwd or group file; bounds the daemon's memory per lookup. */
export const PASSWD_MAX_BYTES = 1024 * 1024;
/** A regular file of at most 1 MiB reads in well under this on any local filesystem. */
export const PASSWD_TIMEOUT_MS = 5000;

/** How the lookup reaches the files: replaceable in one piece (openat2, tests). */
export interface PasswdIo {
  /** Opens `file` (absolute inside the container) under `rootfs`, or undefined when it cannot. */
  readonly open: (rootfs: string, file: string) => Promise<FileHandle | undefined>;
  readonly timeoutMs: number;
}

/**
 * The one place that opens a file of the container's rootfs for the lookup. The kernel resolves
 * it inside the rootfs (openat2 RESOLVE_IN_ROOT: a symlink to a host path, or `..`, stays in the
 * container, and a container cannot race a check), then the held file is reopened through its
 * /proc/self/fd link with O_NONBLOCK, so that a FIFO opens at once instead of waiting for a writer.
 */
export async function openPasswdFile(
  rootfs: string,
  file: string,
): Promise<FileHandle | undefined> {
  let root: number | undefined;
  let held: number | undefined;
  try {
    root = openRootDir(rootfs);
    held = openInRoot(root, file, O_PATH);
    return await open(`/proc/self/fd/${held}`, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  } finally {
    closeFd(held);
    closeFd(root);
  }
}

const DEFAULT_IO: PasswdIo = { open: openPasswdFile, timeoutMs: PASSWD_TIMEOUT_MS };

/** The first PASSWD_MAX_BYTES of a regular file, whole lines only; '' for anything else. */
async function readCapped(fh: FileHandle): Promise<string> {
  const st = await fh.stat();
  if (!st.isFile()) return '';
  const buf = Buffer.alloc(Math.min(st.size, PASSWD_MAX_BYTES));
  let filled = 0;
  while (filled < buf.length) {
    const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  const data = buf.subarray(0, filled);
  // Cut off at the cap: the last line may be the first half of an entry.
  const truncated = st.size > PASSWD_MAX_BYTES;
  return (truncated ? data.subarray(0, data.lastIndexOf(0x0a) + 1) : data).toString('utf8');
}

/**
 * A passwd-like file of the rootfs (opened in it by the kernel, capped, bounded in time); ''
 * when it is missing, not a regular file, or does not come in time.
 */
export async function readInRoot(
  rootfs: string,
  file: string,
  io: PasswdIo = DEFAULT_IO,
): Promise<string> {
  const read = (async () => {
    const fh = await io.open(rootfs, file);
    if (!fh) return '';
    try {
      return await readCapped(fh);
    } finally {
      await fh.close();
    }
  })().catch(() => '');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      resolve('');
    }, io.timeoutMs);
  });
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && f[0] !== '' && !f[0]?.startsWith('#'))
    .map((f) => ({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' }))
    .filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0] !== '' && !f[0]?.startsWith('#'))
    .map((f) => ({
      name: f[0] ?? '',
      gid: Number(f[2]),
      members: (f[3] ?? '').split(',').filter((m) => m !== ''),
    }))
    .filter((g) => Number.isInteger(g.gid));
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

export function resolveUserFrom(
  passwd: readonly PasswdEntry[],
  groups: readonly GroupEntry[],
  spec: string,
  groupAdd: readonly string[],
): ResolvedUser {
  const [userPart = '', groupPart] = spec.split(':');
  let uid: number;
  let gid: number;
  let home = '/';
  let name: string | undefined;
  if (userPart === '') {
    const root = passwd.find((p) => p.uid === 0);
    uid = 0;
    gid = root?.gid ?? 0;
    home = root?.home ?? '/root';
    name = root?.name ?? 'root';
  } else if (isNum(userPart)) {
    uid = Number(userPart);
    const e = passwd.find((p) => p.uid === uid);
    gid = e?.gid ?? 0;
    home = e?.home ?? '/';
    name = e?.name;
  } else {
    const e = passwd.find((p) => p.name === userPart);
    if (!e)
      throw new InvalidArgumentError(
        `unable to find user ${userPart}: no matching entries in passwd file`,
      );
    uid = e.uid;
    gid = e.gid;
    home = e.home;
    name = e.name;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g)
        throw new InvalidArgumentError(
          `unable to find group ${groupPart}: no matching entries in group file`,
        );
      gid = g.gid;
    }
  }
  const supplementary =
    name !== undefined && (groupPart === undefined || groupPart === '')
      ? groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid)
      : [];
  const added = groupAdd.map((a) => {
    if (isNum(a)) return Number(a);
    const g = groups.find((x) => x.name === a);
    if (!g)
      throw new InvalidArgumentError(
        `Unable to find group ${a}: no matching entries in group file`,
      );
    return g.gid;
  });
  return { uid, gid, additionalGids: [...new Set([...supplementary, ...added])], home };
}

export async function resolveUser(
  rootfs: string,
  spec: string,
  groupAdd: readonly string[],
  io: PasswdIo = DEFAULT_IO,
): Promise<ResolvedUser> {
  const passwd = parsePasswd(await readInRoot(rootfs, '/etc/passwd', io));
  const groups = parseGroup(await readInRoot(rootfs, '/etc/group', io));
  return resolveUserFrom(passwd, groups, spec, groupAdd);
}
