/**
 * `--userns keep-id`: the user namespace a container gets (the arithmetic is in
 * runtime/spec/keep-id-mappings.ts), and, as Podman does, an /etc/passwd and /etc/group entry
 * for the user when the image has none (bind-mounted copies; the image is never written).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HostProfile } from '../../host.js';
import { usernsPathOf } from '../../network/persistent-netns.js';
import { keepIdUserns } from '../../runtime/spec/keep-id-mappings.js';
import { parseGroup, parsePasswd, readInRoot } from '../../runtime/spec/resolve-user.js';
import type { ResolvedUser, SpecInput } from '../../runtime/spec/spec-input.js';
import type { HostConfig } from './container-config.js';
import type { ContainerRecord, NetworkState } from './container-record.js';

/**
 * Undefined when the container shares skiffd's user namespace. On a bridge network, the user
 * namespace was made with the network namespace (which it owns, see persistent-netns.ts) and
 * the container joins it by path; elsewhere runc makes a new one.
 */
export function containerUserns(
  hc: HostConfig,
  host: HostProfile,
  network?: NetworkState,
): SpecInput['userns'] {
  return keepIdUserns(hc.usernsMode, host, network && usernsPathOf(network.sandboxKey));
}

/**
 * containerUserns plus, when the process runs as the kept user and the image's /etc/passwd has
 * no entry for that uid, copies of the image's /etc/passwd and /etc/group with the user added
 * (the host user's name; home: the host home when a mount brings it in, else the working
 * directory), written next to the container's /etc/hosts.
 */
export async function keepIdNamespace(
  rec: ContainerRecord,
  rootfs: string,
  user: ResolvedUser,
  host: HostProfile,
  network?: NetworkState,
): Promise<SpecInput['userns']> {
  const userns = containerUserns(rec.hostConfig, host, network);
  const kept = userns?.uidMappings.find((m) => m.hostID === 0)?.containerID;
  if (!userns || kept === undefined || user.uid !== kept) return userns;
  const passwd = await readInRoot(rootfs, '/etc/passwd');
  if (parsePasswd(passwd).some((p) => p.uid === user.uid)) return userns;
  const group = await readInRoot(rootfs, '/etc/group');
  const me = parsePasswd(await readFile('/etc/passwd', 'utf8').catch(() => '')).find(
    (p) => p.uid === host.hostUid,
  );
  const taken = (n: string): boolean => parsePasswd(passwd).some((p) => p.name === n);
  const name = me && !taken(me.name) ? me.name : `user${user.uid}`;
  const mounted = (d: string): boolean =>
    rec.mountPoints.some((m) => d === m.destination || d.startsWith(`${m.destination}/`));
  const home = me && mounted(me.home) ? me.home : rec.config.workingDir || '/';
  const dir = dirname(rec.hostsPath);
  const files = { passwd: join(dir, 'passwd'), group: join(dir, 'group') };
  await writeFile(
    files.passwd,
    `${withNewline(passwd)}${name}:*:${user.uid}:${user.gid}:${name}:${home}:/bin/sh\n`,
  );
  const hasGroup = parseGroup(group).some((g) => g.gid === user.gid);
  await writeFile(
    files.group,
    hasGroup ? group : `${withNewline(group)}${name}:x:${user.gid}:${name}\n`,
  );
  return { ...userns, etc: { ...files, home } };
}

const withNewline = (s: string): string => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
