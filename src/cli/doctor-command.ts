/** `skiff doctor`: gathers the facts, runs the setup checks and the doctor checks, prints, exits non-zero on a failure. */
import { lstat, readFile, access } from 'node:fs/promises';
import { request } from 'node:http';
import { worstStatus } from '../rootless/preflight/check-result.js';
import { doctorChecks, type DoctorFacts } from '../rootless/preflight/doctor-checks.js';
import { setupChecks } from '../rootless/preflight/setup-checks.js';
import { gatherNetFacts } from '../rootless/preflight/network-checks.js';
import { realSystemFacts } from '../rootless/preflight/system-facts.js';
import { settingsFromEnv } from '../rootless/rootlesskit/launcher-args.js';
import { contextHost, currentContext } from '../rootless/setup/docker-context.js';
import { detectCgroup } from '../rootless/detect/cgroup.js';
import { defaultPaths } from '../skiffd/config/default-paths.js';
import { loadDaemonConfig } from '../skiffd/config/load-config.js';
import { spawnCollect } from '../proc/run.js';
import { messageOf } from '../errors.js';
import { formatChecks } from './print-checks.js';

export async function doctorCommand(): Promise<number> {
  const sys = await realSystemFacts();
  const paths = defaultPaths(process.env, sys.user.home);
  // A broken daemon.json is the daemon's to report; here it only decides allow-host-loopback.
  const allowHostLoopback = await loadDaemonConfig(
    defaultPaths(process.env, process.env['HOME'] ?? sys.user.home),
  ).then(
    (l) => l.config.allowHostLoopback,
    () => false,
  );
  const settings = settingsFromEnv(process.env, { allowHostLoopback });
  const setup = await setupChecks(sys, settings);
  const gathered = await gather(sys.user.name, sys.user.uid, sys.user.home, paths.socketPath, (n) =>
    sys.findBinary(n),
  );
  const net = await gatherNetFacts(sys);
  const facts: DoctorFacts = {
    ...gathered,
    ...(net.rootlesskit ? { rootlesskit: net.rootlesskit } : {}),
    gid: net.gid,
    subGids: net.subGids,
    hostLoopback: {
      allowed: !settings.disableHostLoopback,
      source: process.env['SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK']
        ? 'SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK'
        : allowHostLoopback
          ? 'daemon.json'
          : 'default',
      net: settings.net,
    },
  };
  const all = [...setup, ...doctorChecks(facts)];
  process.stdout.write(`${formatChecks(all)}\n`);
  const worst = worstStatus(all);
  process.stdout.write(
    `\n${worst === 'ok' ? 'Everything looks fine.' : worst === 'warn' ? 'Works, with the limits marked warn.' : 'Something is broken: see the FAIL lines and their fixes.'}\n`,
  );
  return worst === 'fail' ? 1 : 0;
}

async function gather(
  userName: string,
  uid: number,
  home: string,
  socket: string,
  find: (n: string) => string | undefined,
): Promise<DoctorFacts> {
  const dockerHost = process.env['DOCKER_HOST'];
  const dockerConfig = process.env['DOCKER_CONFIG'];
  const ctxOpts = { home, ...(dockerConfig ? { dockerConfigDir: dockerConfig } : {}) };
  const ctxName = process.env['DOCKER_CONTEXT'] ?? (await currentContext(ctxOpts));
  const ctxHost =
    ctxName && ctxName !== 'default' ? await contextHost(ctxOpts, ctxName) : undefined;
  const endpoint = dockerHost
    ? { source: 'DOCKER_HOST', host: dockerHost }
    : ctxHost
      ? { source: `context ${ctxName ?? ''}`, host: ctxHost }
      : undefined;
  const target = endpoint?.host.startsWith('unix://') ? endpoint.host.slice(7) : socket;
  const st = await lstat(socket).catch(() => undefined);
  const sysctl = async (p: string): Promise<string | undefined> =>
    (await readFile(p, 'utf8').catch(() => undefined))?.trim();
  const ping = (await sysctl('/proc/sys/net/ipv4/ping_group_range'))?.split(/\s+/).map(Number);
  const systemctl = find('systemctl');
  const systemd = systemctl
    ? (await spawnCollect(systemctl, ['--user', 'show-environment'])).code === 0
    : false;
  const cgroup = await detectCgroup({
    mountinfo: await readFile('/proc/self/mountinfo', 'utf8'),
    selfCgroup: await readFile('/proc/self/cgroup', 'utf8'),
    readCgroupFile: (p) => readFile(p, 'utf8').catch(() => undefined),
    writable: (p) =>
      access(p, 2).then(
        () => true,
        () => false,
      ),
  });
  return {
    userName,
    uid,
    endpoint,
    expectedSocket: socket,
    daemon: await probeDaemon(target),
    socket: st
      ? { exists: true, uid: st.uid, mode: st.mode, isSocket: st.isSocket() }
      : { exists: false },
    ...(await sysctl('/proc/sys/net/ipv4/ip_unprivileged_port_start').then((v) =>
      v === undefined ? {} : { unprivilegedPortStart: Number(v) },
    )),
    ...(ping && ping.length === 2 ? { pingGroupRange: [ping[0] ?? 1, ping[1] ?? 0] as const } : {}),
    gids: process.getgroups?.() ?? [],
    lingering: await access(`/var/lib/systemd/linger/${userName}`).then(
      () => true,
      () => false,
    ),
    systemd,
    cgroup: { layout: cgroup.layout, delegated: cgroup.delegated },
  };
}

function probeDaemon(socket: string): Promise<DoctorFacts['daemon']> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/info', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        try {
          const info = JSON.parse(body) as { SecurityOptions?: string[]; Driver?: string };
          resolve({
            answers: res.statusCode === 200,
            rootless: (info.SecurityOptions ?? []).includes('name=rootless'),
            ...(info.Driver ? { driver: info.Driver } : {}),
          });
        } catch (e) {
          resolve({ answers: false, error: messageOf(e) });
        }
      });
    });
    req.on('error', (e) => {
      resolve({ answers: false, error: `${socket}: ${e.message}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ answers: false, error: `${socket}: timeout` });
    });
    req.end();
  });
}
