import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cgroupCheck,
  daemonCheck,
  doctorChecks,
  endpointCheck,
  hostLoopbackCheck,
  lingerCheck,
  pingCheck,
  portsCheck,
  socketCheck,
  type DoctorFacts,
} from '../../../../src/rootless/preflight/doctor-checks.js';

const SOCK = '/run/user/1000/docker.sock';

/** A healthy machine: every check passes. Tests change one thing at a time. */
const healthy: DoctorFacts = {
  userName: 'alice',
  uid: 1000,
  endpoint: { source: 'DOCKER_HOST', host: `unix://${SOCK}` },
  expectedSocket: SOCK,
  daemon: { answers: true, rootless: true, driver: 'overlay2' },
  socket: { exists: true, uid: 1000, mode: 0o140600, isSocket: true },
  unprivilegedPortStart: 0,
  pingGroupRange: [0, 2147483647],
  gids: [1000],
  lingering: true,
  systemd: true,
  cgroup: { layout: 'v2', delegated: ['cpu', 'cpuset', 'io', 'memory', 'pids'] },
};

function facts(change: Partial<DoctorFacts>): DoctorFacts {
  return { ...healthy, ...change };
}

describe('doctorChecks', () => {
  it('on a healthy machine: every check ok, in a fixed order', () => {
    const rs = doctorChecks(healthy);
    assert.deepEqual(
      rs.map((r) => [r.id, r.status]),
      [
        ['endpoint', 'ok'],
        ['socket', 'ok'],
        ['daemon', 'ok'],
        ['unprivileged-port-start', 'ok'],
        ['ping-group-range', 'ok'],
        ['linger', 'ok'],
        ['cgroup-delegation', 'ok'],
      ],
    );
    assert.ok(rs.every((r) => r.fix === undefined));
  });
});

describe('endpointCheck', () => {
  it('is ok when DOCKER_HOST or the context points at the socket', () => {
    assert.equal(endpointCheck(healthy).detail, `DOCKER_HOST=unix://${SOCK}`);
    const ctx = endpointCheck(
      facts({ endpoint: { source: 'context rootless', host: `unix://${SOCK}` } }),
    );
    assert.equal(ctx.status, 'ok');
    assert.equal(ctx.detail, `context rootless=unix://${SOCK}`);
  });

  it('fails when the client would talk to the rootful daemon', () => {
    const r = endpointCheck(facts({ endpoint: undefined }));
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /\/var\/run\/docker\.sock/);
    assert.deepEqual(r.fix, [
      `export DOCKER_HOST=unix://${SOCK}`,
      'or: skiff setup install (creates and selects the "rootless" context)',
    ]);
  });

  it('warns when it points elsewhere, saying where', () => {
    const r = endpointCheck(facts({ endpoint: { source: 'DOCKER_HOST', host: 'tcp://h:2376' } }));
    assert.equal(r.status, 'warn');
    assert.equal(r.detail, `DOCKER_HOST is tcp://h:2376, not unix://${SOCK}`);
    assert.deepEqual(r.fix, [`export DOCKER_HOST=unix://${SOCK}`]);
  });
});

describe('daemonCheck', () => {
  it('is ok for a rootless daemon and names its storage driver', () => {
    const r = daemonCheck(healthy);
    assert.equal(r.status, 'ok');
    assert.equal(r.detail, 'answers; rootless; storage driver overlay2');
  });

  it('fails with the error when nothing answers, and says how to start it', () => {
    const r = daemonCheck(facts({ daemon: { answers: false, error: 'connect ECONNREFUSED' } }));
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, 'connect ECONNREFUSED');
    assert.deepEqual(r.fix, ['skiff daemon   (or: systemctl --user start skiff)']);
    assert.equal(daemonCheck(facts({ daemon: { answers: false } })).detail, 'no answer');
  });

  it('warns when a daemon answers that is not rootless', () => {
    const r = daemonCheck(facts({ daemon: { answers: true, rootless: false } }));
    assert.equal(r.status, 'warn');
    assert.match(r.detail, /not a rootless daemon/);
  });
});

describe('socketCheck', () => {
  it('is ok for a socket of the user with mode 0600 (file type bits ignored)', () => {
    assert.equal(socketCheck(healthy).status, 'ok');
    assert.equal(socketCheck(healthy).title, `socket ${SOCK} owned by alice, mode 0600`);
  });

  it('fails when missing, not a socket, or owned by someone else', () => {
    const missing = socketCheck(facts({ socket: { exists: false } }));
    assert.equal(missing.status, 'fail');
    assert.deepEqual(missing.fix, ['skiff daemon']);
    const file = socketCheck(facts({ socket: { exists: true, uid: 1000, isSocket: false } }));
    assert.equal(file.detail, 'the path exists but is not a socket');
    assert.deepEqual(file.fix, [`rm ${SOCK} && skiff daemon`]);
    const foreign = socketCheck(
      facts({ socket: { exists: true, uid: 0, mode: 0o600, isSocket: true } }),
    );
    assert.equal(foreign.status, 'fail');
    assert.equal(foreign.detail, 'owned by uid 0');
  });

  it('warns about a socket others may open, with the chmod that closes it', () => {
    const r = socketCheck(
      facts({ socket: { exists: true, uid: 1000, mode: 0o666, isSocket: true } }),
    );
    assert.equal(r.status, 'warn');
    assert.equal(r.detail, 'mode 666: other users may reach your daemon');
    assert.deepEqual(r.fix, [`chmod 600 ${SOCK}`]);
  });
});

describe('portsCheck', () => {
  it('is ok when any port may be published', () => {
    assert.equal(portsCheck(healthy).status, 'ok');
  });

  it('warns at the default 1024 with the sysctl that lowers it, now and persistently', () => {
    const r = portsCheck(facts({ unprivilegedPortStart: 1024 }));
    assert.equal(r.status, 'warn');
    assert.match(r.detail, /^ports below 1024 cannot be published/);
    assert.deepEqual(r.fix, [
      'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0',
      "echo 'net.ipv4.ip_unprivileged_port_start=0' | sudo tee -a /etc/sysctl.d/99-rootless.conf && sudo sysctl --system",
      'or: sudo setcap cap_net_bind_service=ep $(which rootlesskit) && restart the daemon',
    ]);
  });

  it('is ok at 1024 when rootlesskit has cap_net_bind_service; names the binary otherwise', () => {
    const rk = { path: '/usr/bin/rootlesskit', capNetBind: true };
    const r = portsCheck(facts({ unprivilegedPortStart: 1024, rootlesskit: rk }));
    assert.equal(r.status, 'ok');
    assert.match(r.detail, /^\/usr\/bin\/rootlesskit has cap_net_bind_service/);
    const w = portsCheck(
      facts({ unprivilegedPortStart: 1024, rootlesskit: { ...rk, capNetBind: false } }),
    );
    assert.equal(w.status, 'warn');
    assert.equal(
      w.fix?.[2],
      'or: sudo setcap cap_net_bind_service=ep /usr/bin/rootlesskit && restart the daemon',
    );
  });

  it('warns without a fix when the value is unknown', () => {
    const r = portsCheck(facts({ unprivilegedPortStart: undefined }));
    assert.deepEqual([r.status, r.detail, r.fix], ['warn', 'unknown', undefined]);
  });
});

describe('pingCheck', () => {
  const fullRangeFix = [
    'sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"',
    "echo 'net.ipv4.ping_group_range=0 2147483647' | sudo tee -a /etc/sysctl.d/99-rootless.conf && sudo sysctl --system",
  ];

  it('is ok for the full range 0 2147483647', () => {
    const r = pingCheck(healthy);
    assert.deepEqual([r.status, r.detail], ['ok', '0 2147483647']);
  });

  it("warns at the kernel default '1 0' (nobody may ping), quoting the range in the fix", () => {
    const r = pingCheck(facts({ pingGroupRange: [1, 0] }));
    assert.equal(r.status, 'warn');
    assert.equal(
      r.detail,
      '1 0: nobody may open ping sockets; ping fails in --network host containers (bridge containers ping as root with CAP_NET_RAW)',
    );
    assert.deepEqual(r.fix, fullRangeFix);
  });

  it("warns when the range covers the user's gid but not the subordinate gids, naming them", () => {
    const subGids = [{ start: 100000, count: 65536 }];
    const r = pingCheck(facts({ pingGroupRange: [1000, 1000], gid: 1000, subGids }));
    assert.equal(r.status, 'warn');
    assert.equal(
      r.detail,
      '1000 1000: does not cover the gids containers run as (100000-165535); ping fails in --network host containers (bridge containers ping as root with CAP_NET_RAW)',
    );
    assert.deepEqual(r.fix, fullRangeFix);
  });

  it('is ok for a partial range that covers the gid and every subordinate gid', () => {
    const subGids = [{ start: 100000, count: 65536 }];
    const r = pingCheck(facts({ pingGroupRange: [1000, 165535], gid: 1000, subGids }));
    assert.deepEqual(
      [r.status, r.detail],
      ['ok', '1000 165535: covers your gid and subordinate gids'],
    );
  });

  it('warns without a fix when the range is unknown', () => {
    const r = pingCheck(facts({ pingGroupRange: undefined }));
    assert.deepEqual([r.status, r.detail, r.fix], ['warn', 'unknown', undefined]);
  });
});

describe('lingerCheck', () => {
  it('is ok with lingering on, or without systemd', () => {
    assert.equal(lingerCheck(healthy).status, 'ok');
    const none = lingerCheck(facts({ systemd: false, lingering: false }));
    assert.equal(none.status, 'ok');
    assert.match(none.detail, /no systemd user session/);
  });

  it('warns with loginctl enable-linger for the user when off', () => {
    const r = lingerCheck(facts({ lingering: false }));
    assert.equal(r.status, 'warn');
    assert.deepEqual(r.fix, ['sudo loginctl enable-linger alice']);
  });
});

describe('cgroupCheck', () => {
  it('is ok on v2 with cpu, memory and pids delegated', () => {
    const r = cgroupCheck(
      facts({ cgroup: { layout: 'v2', delegated: ['memory', 'pids', 'cpu'] } }),
    );
    assert.deepEqual([r.status, r.detail], ['ok', 'delegated: memory pids cpu']);
  });

  it('warns on v2 naming the controllers not delegated, with the systemd drop-in', () => {
    const r = cgroupCheck(facts({ cgroup: { layout: 'v2', delegated: ['memory'] } }));
    assert.equal(r.status, 'warn');
    assert.equal(r.detail, 'not delegated: cpu pids');
    assert.match(r.fix?.[0] ?? '', /user@\.service\.d\/delegate\.conf/);
    assert.match(r.fix?.[0] ?? '', /Delegate=cpu cpuset io memory pids/);
  });

  it('warns on hybrid and v1 hosts that limits and pause are unavailable', () => {
    for (const layout of ['hybrid', 'v1']) {
      const r = cgroupCheck(facts({ cgroup: { layout, delegated: [] } }));
      assert.equal(r.status, 'warn');
      assert.match(r.detail, new RegExp(`^cgroup layout is ${layout}: --memory`));
      assert.match(r.fix?.[0] ?? '', /systemd\.unified_cgroup_hierarchy=1/);
    }
  });
});

describe('hostLoopbackCheck', () => {
  it('absent without the fact; closed by default, with the daemon.json switch to open it', () => {
    assert.equal(hostLoopbackCheck(healthy), undefined);
    const closed = hostLoopbackCheck({
      ...healthy,
      hostLoopback: { allowed: false, source: 'default', net: 'slirp4netns' },
    });
    assert.equal(closed?.status, 'ok');
    assert.match(closed?.detail ?? '', /^closed \(default, as Rootless Docker\)/);
    assert.match(
      closed?.detail ?? '',
      /"allow-host-loopback": true in ~\/\.config\/skiff\/daemon\.json/,
    );
    const open = hostLoopbackCheck({
      ...healthy,
      hostLoopback: { allowed: true, source: 'daemon.json', net: 'slirp4netns' },
    });
    assert.match(open?.detail ?? '', /^open \(daemon\.json\): host-gateway \/ 10\.0\.2\.2 reaches/);
    assert.ok(
      doctorChecks({ ...healthy, hostLoopback: { allowed: true, source: 'x', net: 'host' } }).some(
        (c) => c.id === 'host-loopback',
      ),
    );
  });
});
