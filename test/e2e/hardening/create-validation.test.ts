// Issue 10 item 15: `POST /containers/create` and `POST /containers/{id}/update` refuse what
// dockerd 28 refuses, with its status and exact message, instead of storing values that fail or
// overflow later; a long StopTimeout is honoured by `docker stop`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDaemon } from '../../helpers/daemon.js';
import { dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { rawRequest } from '../../helpers/raw-request.js';

const go = (what: string, path: string, type: string): string =>
  `invalid JSON: json: cannot unmarshal ${what} into Go struct field ${path} of type ${type}`;
const R = 'HostConfig.HostConfig.Resources';

/** [what, body (merged into an otherwise valid create body), status, exact message]. */
const CREATE: readonly [string, Record<string, unknown>, number, string][] = [
  [
    'OomScoreAdj: 1001',
    { HostConfig: { OomScoreAdj: 1001 } },
    400,
    'Invalid value 1001, range for oom score adj is [-1000, 1000]',
  ],
  [
    'Ulimits soft > hard',
    { HostConfig: { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] } },
    400,
    'ulimit soft limit must be less than or equal to hard limit: 10 > 5',
  ],
  [
    'Ulimits unknown name',
    { HostConfig: { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 5 }] } },
    400,
    'invalid ulimit type: bogus',
  ],
  [
    'HostPort 70000',
    { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '70000' }] } } },
    400,
    'invalid port specification: "70000"',
  ],
  [
    'HostPort 5-3',
    { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '5-3' }] } } },
    400,
    'invalid port specification: "5-3"',
  ],
  [
    'container port 70000',
    { HostConfig: { PortBindings: { '70000/tcp': [{ HostPort: '80' }] } } },
    400,
    'invalid port specification: "70000"',
  ],
  [
    'CpuShares: 1e20',
    { HostConfig: { CpuShares: 1e20 } },
    400,
    go('number 100000000000000000000', `${R}.CpuShares`, 'int64'),
  ],
  [
    'Memory: 1e30',
    { HostConfig: { Memory: 1e30 } },
    400,
    go('number 1e+30', `${R}.Memory`, 'int64'),
  ],
  [
    'NanoCpus: 1e19',
    { HostConfig: { NanoCpus: 1e19 } },
    400,
    go('number 10000000000000000000', `${R}.NanoCpus`, 'int64'),
  ],
  [
    'PidsLimit: 1e19',
    { HostConfig: { PidsLimit: 1e19 } },
    400,
    go('number 10000000000000000000', `${R}.PidsLimit`, 'int64'),
  ],
  [
    'ShmSize: 1e19',
    { HostConfig: { ShmSize: 1e19 } },
    400,
    go('number 10000000000000000000', 'HostConfig.HostConfig.ShmSize', 'int64'),
  ],
  ['Memory: -1', { HostConfig: { Memory: -1 } }, 400, 'Minimum memory limit allowed is 6MB'],
  ['ShmSize: -1', { HostConfig: { ShmSize: -1 } }, 400, 'SHM size can not be less than 0'],
  [
    'NanoCpus: -1',
    { HostConfig: { NanoCpus: -1 } },
    400,
    // The CPU count is the daemon host's: matched below with a pattern instead.
    'range of CPUs',
  ],
  [
    'NanoCpus with CpuPeriod',
    { HostConfig: { NanoCpus: 1e9, CpuPeriod: 100000 } },
    400,
    'Conflicting options: Nano CPUs and CPU Period cannot both be set',
  ],
  [
    'MemorySwap < Memory',
    { HostConfig: { Memory: 10_000_000, MemorySwap: 9_000_000 } },
    400,
    'Minimum memoryswap limit should be larger than memory limit, see usage',
  ],
  [
    'StopTimeout: 1e19',
    { StopTimeout: 1e19 },
    400,
    go('number 10000000000000000000', 'CreateRequest.Config.StopTimeout', 'int'),
  ],
  [
    'ArgsEscaped: "yes"',
    { ArgsEscaped: 'yes' },
    400,
    go('string', 'CreateRequest.Config.ArgsEscaped', 'bool'),
  ],
  ['OnBuild: "x"', { OnBuild: 'x' }, 400, go('string', 'CreateRequest.Config.OnBuild', '[]string')],
  ['OnBuild: [1]', { OnBuild: [1] }, 400, go('number', 'CreateRequest.Config.OnBuild', 'string')],
  ['Image: "busy box"', { Image: 'busy box' }, 400, 'invalid reference format'],
];

function message(body: string): string {
  const parsed = JSON.parse(body) as { message?: unknown };
  return typeof parsed.message === 'string' ? parsed.message : '';
}

describe('create and update validation (issue 10 item 15)', () => {
  let d: TestDaemon;
  const post = (path: string, body: unknown): Promise<{ status: number; body: string }> =>
    rawRequest(d.socket, 'POST', path, JSON.stringify(body));

  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it(`POST /containers/create: ${CREATE.length} refusals with dockerd's status and words`, async () => {
    for (const [what, extra, status, expected] of CREATE) {
      const r = await post('/containers/create', { Image: 'busybox', Cmd: ['true'], ...extra });
      assert.equal(r.status, status, `${what}: ${r.status} ${r.body}`);
      if (expected === 'range of CPUs')
        assert.match(
          message(r.body),
          /^range of CPUs is from 0\.01 to (\d+)\.00, as there are only \1 CPUs available$/,
          what,
        );
      else assert.equal(message(r.body), expected, what);
    }
  });

  it('a valid 300-character name is accepted, as dockerd does', async () => {
    const name = 'n'.repeat(300);
    const r = await post(`/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['true'] });
    assert.equal(r.status, 201, r.body);
    const inspect = await rawRequest(d.socket, 'GET', `/containers/${name}/json`);
    assert.equal(inspect.status, 200, inspect.body);
    assert.equal((JSON.parse(inspect.body) as { Name: string }).Name, `/${name}`);
    const start = await rawRequest(d.socket, 'POST', `/containers/${name}/start`);
    assert.equal(start.status, 204, start.body);
    const wait = await rawRequest(d.socket, 'POST', `/containers/${name}/wait`);
    assert.equal(wait.status, 200, wait.body);
    const rm = await rawRequest(d.socket, 'DELETE', `/containers/${name}`);
    assert.equal(rm.status, 204, rm.body);
  });

  it('POST /containers/{id}/update: the same types and rules, and dockerd 409s', async () => {
    await dockerOk(d, ['create', '--name', 'auto', '--rm', 'busybox', 'true']);
    await dockerOk(d, ['create', '--name', 'quota', '--cpu-quota', '50000', 'busybox', 'true']);
    const id = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'auto'])).trim();
    const quotaId = (await dockerOk(d, ['inspect', '-f', '{{.Id}}', 'quota'])).trim();
    const cases: readonly [string, string, unknown, number, string][] = [
      [
        'restart policy on an AutoRemove container',
        'auto',
        { RestartPolicy: { Name: 'always' } },
        409,
        `Cannot update container ${id}: Restart policy cannot be updated because AutoRemove is enabled for the container`,
      ],
      [
        'CpuShares: 1e20',
        'auto',
        { CpuShares: 1e20 },
        400,
        go('number 100000000000000000000', 'UpdateConfig.Resources.CpuShares', 'int64'),
      ],
      ['Memory: 5', 'auto', { Memory: 5 }, 400, 'Minimum memory limit allowed is 6MB'],
      [
        'NanoCpus over an existing CpuQuota',
        'quota',
        { NanoCpus: 1e9 },
        409,
        `Cannot update container ${quotaId}: Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set`,
      ],
    ];
    for (const [what, ref, body, status, expected] of cases) {
      const r = await post(`/containers/${ref}/update`, body);
      assert.equal(r.status, status, `${what}: ${r.body}`);
      assert.equal(message(r.body), expected, what);
    }
    // What the CLI sends without flags (zeros) leaves the limits as they were (dockerd).
    const zeros = { CpuQuota: 0, Memory: 0, RestartPolicy: { Name: '' } };
    assert.equal((await post('/containers/quota/update', zeros)).status, 200);
    assert.equal(
      (await dockerOk(d, ['inspect', '-f', '{{.HostConfig.CpuQuota}}', 'quota'])).trim(),
      '50000',
    );
  });

  it('a StopTimeout past a Node timer (2^31-1 ms) is waited for, not cut to 1 ms', async () => {
    // busybox sleep as PID 1 ignores SIGTERM: only the stop timeout's SIGKILL ends it.
    const r = await post('/containers/create?name=patient', {
      Image: 'busybox',
      Cmd: ['sleep', '3600'],
      StopTimeout: 99999999999,
    });
    assert.equal(r.status, 201, r.body);
    await dockerOk(d, ['start', 'patient']);
    const stopping = rawRequest(d.socket, 'POST', '/containers/patient/stop');
    let settled = false;
    void stopping.then(() => (settled = true));
    await new Promise((res) => setTimeout(res, 3000));
    assert.equal(settled, false, 'stop returned at once: the long timeout overflowed');
    const running = await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', 'patient']);
    assert.equal(running.trim(), 'true');
    await dockerOk(d, ['kill', 'patient']);
    const stopped = await stopping;
    assert.ok(stopped.status === 204 || stopped.status === 304, stopped.body);
  });
});
