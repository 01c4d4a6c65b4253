/**
 * The prerequisites of rootless mode (seed 000/002 "Prerequisites"), each checked with an exact
 * fix for this distribution. Used by `skiff daemon` (stop on failure), `skiff setup check` and
 * `skiff doctor`.
 */
import { fail, ok, warn, type CheckResult } from './check-result.js';
import { installCommand, sysctlFix } from './distro.js';
import { MIN_SUBIDS, parseSubidFile, subidFixCommand, totalIds } from './subid.js';
import type { SystemFacts } from './system-facts.js';

export async function checkNotRoot(sys: SystemFacts): Promise<CheckResult> {
  const title = 'not running as root';
  if (sys.user.uid !== 0)
    return ok('not-root', title, `running as ${sys.user.name} (uid ${sys.user.uid})`);
  const uidMap = await sys.readFile('/proc/self/uid_map');
  if (uidMap !== undefined && !isInitialUserNamespace(uidMap)) {
    return ok('not-root', title, 'uid 0 inside a user namespace');
  }
  return fail(
    'not-root',
    title,
    'running as real root: rootless mode must run as an unprivileged user',
    ['run skiff as a normal user, e.g.: sudo -iu <user> skiff daemon'],
  );
}

/** The initial user namespace maps the full 32-bit range onto itself. */
export function isInitialUserNamespace(uidMapText: string): boolean {
  const first = uidMapText.trim().split('\n')[0]?.trim().split(/\s+/) ?? [];
  return first[0] === '0' && first[1] === '0' && first[2] === '4294967295';
}

export function checkIdMapBinaries(sys: SystemFacts): CheckResult {
  const title = 'newuidmap and newgidmap';
  const missing = ['newuidmap', 'newgidmap'].filter((b) => sys.findBinary(b) === undefined);
  if (missing.length === 0)
    return ok('newuidmap', title, `found ${sys.findBinary('newuidmap') ?? ''}`);
  return fail('newuidmap', title, `${missing.join(' and ')} not installed`, [
    installCommand(sys.distro, {
      debian: ['uidmap'],
      ubuntu: ['uidmap'],
      arch: ['shadow'],
      opensuse: ['shadow'],
      fedora: ['shadow-utils'],
      rhel: ['shadow-utils'],
      unknown: ['uidmap (newuidmap/newgidmap)'],
    }),
  ]);
}

export async function checkSubids(
  sys: SystemFacts,
  kind: 'subuid' | 'subgid',
): Promise<CheckResult> {
  const file = `/etc/${kind}`;
  const title = `${file} has ≥ ${MIN_SUBIDS} ids for ${sys.user.name}`;
  const text = (await sys.readFile(file)) ?? '';
  const ranges = parseSubidFile(text, { name: sys.user.name, uid: sys.user.uid });
  const total = totalIds(ranges);
  const fix = [subidFixCommand(sys.user.name, await freeSubidStart(sys))];
  if (ranges.length === 0)
    return fail(kind, title, `no entry for ${sys.user.name} in ${file}`, fix);
  if (total < MIN_SUBIDS)
    return fail(kind, title, `only ${total} ids for ${sys.user.name} in ${file}`, fix);
  const desc = ranges.map((r) => `${r.start}:${r.count}`).join(', ');
  return ok(kind, title, `${sys.user.name}:${desc}`);
}

/** A range start above every existing entry, so the suggested usermod never overlaps. */
async function freeSubidStart(sys: SystemFacts): Promise<number> {
  let end = 100000;
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    for (const line of ((await sys.readFile(file)) ?? '').split('\n')) {
      const [, s, c] = line.trim().split(':');
      const e = Number(s) + Number(c);
      if (Number.isFinite(e) && e > end) end = e;
    }
  }
  return Math.ceil(end / MIN_SUBIDS) * MIN_SUBIDS;
}

export async function checkUserNamespaces(sys: SystemFacts): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const max = (await sys.readFile('/proc/sys/user/max_user_namespaces'))?.trim();
  const maxTitle = 'user namespaces allowed (user.max_user_namespaces)';
  if (max === undefined)
    results.push(fail('max-user-namespaces', maxTitle, 'kernel without user namespaces'));
  else if (!/^\d+$/.test(max) || Number(max) === 0)
    results.push(
      fail(
        'max-user-namespaces',
        maxTitle,
        `user.max_user_namespaces is ${max || 'empty'}`,
        sysctlFix('user.max_user_namespaces', '28633'),
      ),
    );
  else results.push(ok('max-user-namespaces', maxTitle, `user.max_user_namespaces=${max}`));

  const clone = (await sys.readFile('/proc/sys/kernel/unprivileged_userns_clone'))?.trim();
  if (clone !== undefined) {
    const title = 'unprivileged user namespaces (kernel.unprivileged_userns_clone)';
    results.push(
      clone === '1'
        ? ok('unprivileged-userns-clone', title, 'kernel.unprivileged_userns_clone=1')
        : fail(
            'unprivileged-userns-clone',
            title,
            `kernel.unprivileged_userns_clone=${clone}`,
            sysctlFix('kernel.unprivileged_userns_clone', '1'),
          ),
    );
  }

  const apparmor = (
    await sys.readFile('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')
  )?.trim();
  if (apparmor !== undefined) {
    const title =
      "AppArmor allows user namespaces (Ubuntu's kernel.apparmor_restrict_unprivileged_userns)";
    results.push(
      apparmor === '0'
        ? ok('apparmor-userns', title, 'kernel.apparmor_restrict_unprivileged_userns=0')
        : fail(
            'apparmor-userns',
            title,
            `kernel.apparmor_restrict_unprivileged_userns=${apparmor}: unprivileged user namespaces are denied`,
            [
              ...sysctlFix('kernel.apparmor_restrict_unprivileged_userns', '0'),
              'or give rootlesskit an AppArmor profile with "userns," (see /etc/apparmor.d/ on Ubuntu 24.04)',
            ],
          ),
    );
  }
  return results;
}

export async function checkRuntimeDir(sys: SystemFacts): Promise<CheckResult> {
  const title = 'XDG_RUNTIME_DIR set, owned by you, mode 0700';
  const dir = sys.env['XDG_RUNTIME_DIR'];
  const uid = sys.user.uid;
  const fix = [
    `export XDG_RUNTIME_DIR=/run/user/${uid}   # created by systemd-logind at login; without logind:`,
    `sudo install -d -m 0700 -o ${sys.user.name} -g ${sys.user.gid} /run/user/${uid}`,
  ];
  if (!dir) return fail('xdg-runtime-dir', title, 'XDG_RUNTIME_DIR is not set', fix);
  const st = await sys.stat(dir);
  if (!st) return fail('xdg-runtime-dir', title, `${dir} does not exist`, fix);
  if (!st.isDirectory) return fail('xdg-runtime-dir', title, `${dir} is not a directory`, fix);
  if (st.uid !== uid)
    return fail('xdg-runtime-dir', title, `${dir} is owned by uid ${st.uid}, not ${uid}`, fix);
  if ((st.mode & 0o777) !== 0o700)
    return fail(
      'xdg-runtime-dir',
      title,
      `${dir} has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, not 0700`,
      [`chmod 0700 ${dir}`],
    );
  return ok('xdg-runtime-dir', title, dir);
}

export function checkBinary(
  sys: SystemFacts,
  id: string,
  name: string,
  pkg: string,
  why: string,
  severity: 'fail' | 'warn' = 'fail',
): CheckResult {
  const path = sys.findBinary(name);
  const title = `${name} (${why})`;
  if (path) return ok(id, title, path);
  const fix = [installCommand(sys.distro, { unknown: [pkg] })];
  return severity === 'fail'
    ? fail(id, title, `${name} not found`, fix)
    : warn(id, title, `${name} not found`, fix);
}

/** Everything `skiff daemon` needs before it may start; any `fail` stops it. */
export async function daemonPrerequisites(sys: SystemFacts): Promise<CheckResult[]> {
  return [
    await checkNotRoot(sys),
    checkIdMapBinaries(sys),
    await checkSubids(sys, 'subuid'),
    await checkSubids(sys, 'subgid'),
    ...(await checkUserNamespaces(sys)),
    await checkRuntimeDir(sys),
    checkBinary(
      sys,
      'rootlesskit',
      'rootlesskit',
      'rootlesskit',
      'creates the user and network namespaces',
    ),
    checkBinary(sys, 'nsenter', 'nsenter', 'util-linux', 'joins skiffd to the namespaces'),
  ];
}
