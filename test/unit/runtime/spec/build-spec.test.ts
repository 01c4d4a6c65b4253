import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec } from '../../../../src/runtime/spec/build-spec.js';
import { effectiveCapabilities } from '../../../../src/runtime/spec/capabilities.js';
import { seccompFromDockerProfile } from '../../../../src/runtime/spec/seccomp.js';
import {
  parseGroup,
  parsePasswd,
  resolveUserFrom,
} from '../../../../src/runtime/spec/resolve-user.js';
import { toRootless, resourceWarnings } from '../../../../src/rootless/spec.js';
import type { SpecInput } from '../../../../src/runtime/spec/spec-input.js';
import type { HostProfile } from '../../../../src/host.js';
import {
  NO_RESOURCE_LIMITS,
  type ContainerConfig,
  type HostConfig,
  type Resources,
} from '../../../../src/daemon/containers/container-config.js';

const resources: Resources = NO_RESOURCE_LIMITS;
const hostConfig: HostConfig = {
  mounts: [],
  readonlyRootfs: false,
  networkMode: 'default',
  portBindings: {},
  publishAllPorts: false,
  restartPolicy: { name: 'no', maximumRetryCount: 0 },
  autoRemove: false,
  capAdd: [],
  capDrop: [],
  privileged: false,
  securityOpt: [],
  init: null,
  dns: [],
  dnsSearch: [],
  dnsOptions: [],
  extraHosts: [],
  groupAdd: [],
  ipcMode: '',
  pidMode: '',
  utsMode: '',
  usernsMode: '',
  cgroupnsMode: '',
  shmSize: 0,
  sysctls: {},
  ulimits: [],
  logConfig: { type: 'json-file', config: {} },
  resources,
  volumesFrom: [],
  links: [],
  oomScoreAdj: 0,
  maskedPaths: null,
  readonlyPaths: null,
  runtime: '',
};
const config: ContainerConfig = {
  hostname: 'abc',
  domainname: '',
  user: '',
  attachStdin: false,
  attachStdout: true,
  attachStderr: true,
  tty: false,
  openStdin: false,
  stdinOnce: false,
  env: ['A=1'],
  cmd: ['sh'],
  entrypoint: [],
  image: 'busybox',
  workingDir: '',
  labels: {},
  exposedPorts: [],
  volumes: [],
  networkDisabled: false,
};
const host = {
  rootless: true,
  architecture: 'amd64',
  kernelVersion: '6.18.0',
  cgroup: { layout: 'hybrid', version: 1, driver: 'none', delegated: [], freezer: false },
  limits: { RLIMIT_NOFILE: { soft: 1024, hard: 20000 } },
} as unknown as HostProfile;

function input(
  p: {
    config?: Partial<ContainerConfig>;
    hostConfig?: Partial<HostConfig>;
    extra?: Partial<SpecInput>;
  } = {},
): SpecInput {
  return {
    id: 'c1',
    config: { ...config, ...p.config },
    hostConfig: { ...hostConfig, ...p.hostConfig },
    rootfs: '/r',
    mounts: [],
    etcFiles: { hosts: '/h', hostname: '/hn', resolvConf: '/rc' },
    namespaces: {
      network: { kind: 'path', path: '/proc/9/ns/net' },
      ipc: { kind: 'new' },
      pid: { kind: 'new' },
      uts: { kind: 'new' },
      cgroup: { kind: 'host' },
    },
    user: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
    defaults: { noNewPrivileges: false, shmSize: 64 * 1024 * 1024, ulimits: [] },
    host,
    ...p.extra,
  };
}

describe('buildSpec', () => {
  it("Docker's defaults: caps, env, masked paths, /dev/shm size, namespaces, etc files", () => {
    const s = buildSpec(input());
    assert.deepEqual(s.process.args, ['sh']);
    assert.ok(s.process.env.includes('HOSTNAME=abc'));
    assert.ok(s.process.env.some((e) => e.startsWith('PATH=')));
    assert.equal(s.process.capabilities.bounding.length, 14);
    assert.ok(s.linux.maskedPaths?.includes('/proc/kcore'));
    assert.ok(
      s.mounts.some((m) => m.destination === '/dev/shm' && m.options?.includes('size=67108864')),
    );
    assert.ok(s.mounts.some((m) => m.destination === '/etc/hosts' && m.source === '/h'));
    assert.deepEqual(
      s.linux.namespaces.find((n) => n.type === 'network'),
      { type: 'network', path: '/proc/9/ns/net' },
    );
    assert.equal(
      s.linux.namespaces.find((n) => n.type === 'cgroup'),
      undefined,
    );
  });

  it('--privileged means every capability and no masked paths; --init wraps the command', () => {
    const p = buildSpec(input({ hostConfig: { privileged: true } }));
    assert.ok(p.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
    assert.equal(p.linux.maskedPaths, undefined);
    const i = buildSpec(input({ extra: { initBinary: '/usr/bin/tini' } }));
    assert.deepEqual(i.process.args, ['/sbin/docker-init', '--', 'sh']);
    assert.ok(
      i.mounts.some((m) => m.destination === '/sbin/docker-init' && m.source === '/usr/bin/tini'),
    );
  });

  it('systempaths=unconfined masks nothing; HostConfig.Annotations reach the spec', () => {
    const u = buildSpec(input({ hostConfig: { securityOpt: ['systempaths=unconfined'] } }));
    assert.equal(u.linux.maskedPaths, undefined);
    assert.equal(u.linux.readonlyPaths, undefined);
    assert.ok((buildSpec(input()).linux.maskedPaths ?? []).includes('/proc/kcore'));
    const a = buildSpec(input({ hostConfig: { annotations: { 'com.example.k': 'v' } } }));
    assert.equal(a.annotations?.['com.example.k'], 'v');
    assert.equal(a.annotations?.['org.opencontainers.image.stopSignal'], 'SIGTERM');
  });

  it('security options, sysctls, TTY, ulimits', () => {
    assert.equal(
      buildSpec(input({ hostConfig: { securityOpt: ['no-new-privileges'] } })).process
        .noNewPrivileges,
      true,
    );
    assert.equal(
      buildSpec(
        input({
          hostConfig: { securityOpt: ['no-new-privileges:false'] },
          extra: { defaults: { noNewPrivileges: true, shmSize: 1, ulimits: [] } },
        }),
      ).process.noNewPrivileges,
      false,
    );
    assert.deepEqual(
      buildSpec(input({ hostConfig: { sysctls: { 'net.ipv4.ip_forward': '1' } } })).linux.sysctl,
      { 'net.ipv4.ip_forward': '1' },
    );
    assert.throws(
      () => buildSpec(input({ hostConfig: { sysctls: { 'kernel.panic': '1' } } })),
      /not allowed/,
    );
    const t = buildSpec(
      input({ config: { tty: true }, hostConfig: { consoleSize: { height: 40, width: 100 } } }),
    );
    assert.deepEqual(t.process.consoleSize, { height: 40, width: 100 });
    assert.ok(t.process.env.includes('TERM=xterm'));
    const u = buildSpec(
      input({ hostConfig: { ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }] } }),
    );
    assert.deepEqual(
      u.process.rlimits?.find((r) => r.type === 'RLIMIT_NOFILE'),
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
    );
  });

  it('capabilities: add, drop, ALL', () => {
    assert.ok(
      effectiveCapabilities(['CAP_NET_ADMIN'], ['CAP_CHOWN'], false).includes('CAP_NET_ADMIN'),
    );
    assert.ok(!effectiveCapabilities([], ['CAP_CHOWN'], false).includes('CAP_CHOWN'));
    assert.deepEqual(effectiveCapabilities(['CAP_KILL'], ['ALL'], false), ['CAP_KILL']);
    assert.equal(
      effectiveCapabilities(['ALL'], ['CAP_SYS_ADMIN'], false).includes('CAP_SYS_ADMIN'),
      false,
    );
  });
});

describe('buildSpec with CDI edits', () => {
  it('applies them last (env wins), and the rootless pass keeps hooks and device binds', () => {
    const s = toRootless(
      buildSpec(
        input({
          config: { env: ['GPU=none'] },
          extra: {
            cdi: {
              env: ['GPU=0'],
              deviceNodes: [
                { path: '/dev/nvidia0', hostPath: '/dev/null', type: 'c', major: 1, minor: 3 },
              ],
              mounts: [{ hostPath: '/usr/lib/x', containerPath: '/usr/lib/x', options: ['ro'] }],
              hooks: [{ hookName: 'createContainer', path: '/bin/true' }],
              additionalGids: [44],
            },
          },
        }),
      ),
      host,
    );
    assert.ok(s.process.env.includes('GPU=0'));
    assert.ok(!s.process.env.includes('GPU=none'));
    assert.deepEqual(
      s.mounts.find((m) => m.destination === '/dev/nvidia0'),
      {
        destination: '/dev/nvidia0',
        type: 'bind',
        source: '/dev/null',
        options: ['rbind', 'nosuid', 'noexec'],
      },
    );
    assert.equal(s.mounts.find((m) => m.destination === '/usr/lib/x')?.type, 'bind');
    assert.deepEqual(s.hooks, { createContainer: [{ path: '/bin/true' }] });
    assert.deepEqual(s.process.user.additionalGids, [44]);
  });
});

describe('toRootless', () => {
  it('drops resources without delegation, binds cgroups, clamps rlimits above our hard limit', () => {
    const s = toRootless(
      buildSpec(input({ hostConfig: { resources: { ...resources, memory: 64 * 1024 * 1024 } } })),
      host,
    );
    assert.equal(s.linux.resources, undefined);
    assert.deepEqual(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.type, 'bind');
    assert.equal(s.process.rlimits?.find((r) => r.type === 'RLIMIT_NOFILE')?.hard, 20000);
  });

  it('in the host network namespace /sys is bound, not mounted', () => {
    const s = toRootless(
      buildSpec(
        input({
          extra: {
            namespaces: {
              network: { kind: 'host' },
              ipc: { kind: 'new' },
              pid: { kind: 'new' },
              uts: { kind: 'new' },
              cgroup: { kind: 'host' },
            },
          },
        }),
      ),
      host,
    );
    assert.equal(s.mounts.find((m) => m.destination === '/sys')?.type, 'bind');
  });

  it('warns for each limit it cannot apply', () => {
    const w = resourceWarnings(
      { ...hostConfig, resources: { ...resources, memory: 1 << 30, nanoCpus: 1e9, pidsLimit: 10 } },
      host,
    );
    assert.equal(w.length, 3);
    assert.match(w[0] ?? '', /memory limit/);
  });
});

describe('seccomp and users', () => {
  it('keeps rules whose capability/arch conditions hold', () => {
    const p = seccompFromDockerProfile(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
          { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
          { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
          { names: ['arm_only'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
        ],
      },
      ['CAP_CHOWN'],
      'amd64',
      '6.1',
    );
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    assert.deepEqual(
      p.syscalls?.map((s) => s.names[0]),
      ['read', 'arch_prctl'],
    );
  });

  it('resolves users and groups like Docker', () => {
    const passwd = parsePasswd(
      'root:x:0:0:root:/root:/bin/sh\nwww:x:1000:1000::/var/www:/bin/sh\n',
    );
    const groups = parseGroup('root:x:0:\nwww:x:1000:\naudio:x:29:www\n');
    assert.deepEqual(resolveUserFrom(passwd, groups, '', []), {
      uid: 0,
      gid: 0,
      additionalGids: [],
      home: '/root',
    });
    assert.deepEqual(resolveUserFrom(passwd, groups, 'www', []), {
      uid: 1000,
      gid: 1000,
      additionalGids: [29],
      home: '/var/www',
    });
    assert.equal(resolveUserFrom(passwd, groups, '4242:4343', []).gid, 4343);
    assert.deepEqual(
      resolveUserFrom(passwd, groups, 'www:root', ['audio', '77']).additionalGids,
      [29, 77],
    );
    assert.throws(
      () => resolveUserFrom(passwd, groups, 'nobody2', []),
      /unable to find user nobody2: no matching entries in passwd file/,
    );
  });
});
