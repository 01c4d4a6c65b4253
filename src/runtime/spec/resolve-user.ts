/**
 * `--user` / the image's USER against the image's /etc/passwd and /etc/group, read from the
 * container's rootfs without following a symlink out of it. Docker's rules and messages
 * (moby/sys/user): numeric ids need no entry; an unknown name is an error.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

async function readInRoot(rootfs: string, file: string): Promise<string> {
  let p = rootfs;
  for (const seg of file.split('/').filter((s) => s !== '')) {
    p = join(p, seg);
    const st = await lstat(p).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return '';
  }
  return readFile(p, 'utf8').catch(() => '');
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
): Promise<ResolvedUser> {
  const passwd = parsePasswd(await readInRoot(rootfs, '/etc/passwd'));
  const groups = parseGroup(await readInRoot(rootfs, '/etc/group'));
  return resolveUserFrom(passwd, groups, spec, groupAdd);
}
