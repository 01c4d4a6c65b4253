// Issue 10 item 15: create and update refuse what dockerd 28 refuses, with its status (400) and
// its words, instead of storing values that fail or overflow later.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateBody } from '../../../../src/api/wire/container-create.js';
import { parseHostConfig, parseUpdateBody } from '../../../../src/api/wire/host-config.js';
import { optNum } from '../../../../src/api/wire/json-fields.js';

const create = (body: Record<string, unknown>): unknown =>
  parseCreateBody({ Image: 'busybox', ...body }, null, null);
const hc = (o: Record<string, unknown>): unknown => parseHostConfig(o);
const refused = (fn: () => unknown, message: string): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.equal((e as { kind?: string }).kind, 'invalid-argument');
    assert.equal(e.message, message);
    return true;
  });
};
const go = (what: string, path: string, type: string): string =>
  `invalid JSON: json: cannot unmarshal ${what} into Go struct field ${path} of type ${type}`;

describe('create validation: numbers that do not fit their Go type', () => {
  it('refuses int64 overflow with the decoder message, field path and type', () => {
    const R = 'HostConfig.HostConfig.Resources';
    refused(
      () => hc({ CpuShares: 1e20 }),
      go('number 100000000000000000000', `${R}.CpuShares`, 'int64'),
    );
    refused(() => hc({ Memory: 1e30 }), go('number 1e+30', `${R}.Memory`, 'int64'));
    refused(
      () => hc({ NanoCpus: -1e19 }),
      go('number -10000000000000000000', `${R}.NanoCpus`, 'int64'),
    );
    refused(
      () => hc({ MemorySwap: 1e19 }),
      go('number 10000000000000000000', `${R}.MemorySwap`, 'int64'),
    );
    refused(() => hc({ PidsLimit: 1e300 }), go('number 1e+300', `${R}.PidsLimit`, 'int64'));
    refused(() => hc({ Memory: 1.5 }), go('number 1.5', `${R}.Memory`, 'int64'));
    refused(() => hc({ Memory: 'big' }), go('string', `${R}.Memory`, 'int64'));
    refused(() => hc({ BlkioWeight: 70000 }), go('number 70000', `${R}.BlkioWeight`, 'uint16'));
    refused(
      () => hc({ ShmSize: 1e20 }),
      go('number 100000000000000000000', 'HostConfig.HostConfig.ShmSize', 'int64'),
    );
    refused(
      () => hc({ Ulimits: [{ Name: 'nofile', Soft: 1e20, Hard: 5 }] }),
      go('number 100000000000000000000', 'Ulimit.HostConfig.Resources.Ulimits.Soft', 'int64'),
    );
    refused(
      () => hc({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 'x' } }),
      go('string', 'RestartPolicy.HostConfig.RestartPolicy.MaximumRetryCount', 'int'),
    );
  });

  it('accepts the int64 extremes', () => {
    // 9223372036854775807 parses to 2^63 in JavaScript: it must pass.
    const body = JSON.parse(
      '{"CpuShares": 9223372036854775807, "MemorySwap": -9223372036854775808}',
    ) as Record<string, unknown>;
    assert.doesNotThrow(() => hc(body));
  });

  it('StopTimeout, ArgsEscaped, OnBuild and Healthcheck durations are typed as in dockerd', () => {
    refused(
      () => create({ StopTimeout: 1e19 }),
      go('number 10000000000000000000', 'CreateRequest.Config.StopTimeout', 'int'),
    );
    refused(
      () => create({ ArgsEscaped: 'yes' }),
      go('string', 'CreateRequest.Config.ArgsEscaped', 'bool'),
    );
    refused(
      () => create({ OnBuild: 'x' }),
      go('string', 'CreateRequest.Config.OnBuild', '[]string'),
    );
    refused(() => create({ OnBuild: [1] }), go('number', 'CreateRequest.Config.OnBuild', 'string'));
    refused(
      () => create({ Healthcheck: { Test: ['NONE'], Interval: 1e20 } }),
      go(
        'number 100000000000000000000',
        'HealthConfig.Config.Healthcheck.Interval',
        'time.Duration',
      ),
    );
    assert.doesNotThrow(() =>
      create({ ArgsEscaped: true, OnBuild: ['RUN x'], StopTimeout: 99999999999 }),
    );
  });

  it('the generic number reader refuses fractions and int64 overflow too', () => {
    assert.throws(() => optNum({ X: 1e20 }, 'X'), /X: expected an integer that fits in 64 bits/);
    assert.throws(() => optNum({ X: 0.5 }, 'X'), /X: expected an integer/);
    assert.equal(optNum({ X: -3 }, 'X'), -3);
  });
});

describe('create validation: dockerd 28 rules and words', () => {
  it('OomScoreAdj outside [-1000, 1000]', () => {
    refused(
      () => hc({ OomScoreAdj: 1001 }),
      'Invalid value 1001, range for oom score adj is [-1000, 1000]',
    );
    refused(
      () => hc({ OomScoreAdj: -3000000000 }),
      'Invalid value -3000000000, range for oom score adj is [-1000, 1000]',
    );
    assert.doesNotThrow(() => hc({ OomScoreAdj: -1000 }));
  });

  it('memory, swap, reservation, CPU and blkio rules', () => {
    refused(() => hc({ Memory: -1 }), 'Minimum memory limit allowed is 6MB');
    refused(() => hc({ Memory: 5 * 1024 * 1024 }), 'Minimum memory limit allowed is 6MB');
    refused(
      () => hc({ Memory: 10_000_000, MemorySwap: 9_000_000 }),
      'Minimum memoryswap limit should be larger than memory limit, see usage',
    );
    refused(
      () => hc({ MemorySwap: 9_000_000 }),
      'You should always set the Memory limit when using Memoryswap limit, see usage',
    );
    refused(() => hc({ MemoryReservation: 1000 }), 'Minimum memory reservation allowed is 6MB');
    refused(
      () => hc({ Memory: 10_000_000, MemoryReservation: 20_000_000 }),
      'Minimum memory limit can not be less than memory reservation limit, see usage',
    );
    refused(
      () => hc({ NanoCpus: 1e9, CpuPeriod: 100000 }),
      'Conflicting options: Nano CPUs and CPU Period cannot both be set',
    );
    refused(
      () => hc({ NanoCpus: 1e9, CpuQuota: 100000 }),
      'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
    );
    refused(
      () => hc({ CpuPeriod: 999 }),
      'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
    );
    refused(() => hc({ CpuQuota: 10 }), 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    refused(() => hc({ BlkioWeight: 5 }), 'Range of blkio weight is from 10 to 1000');
    refused(() => hc({ ShmSize: -1 }), 'SHM size can not be less than 0');
    // dockerd takes these: -1 is "unlimited swap", a negative quota is "no quota".
    assert.doesNotThrow(() =>
      hc({ Memory: 10_000_000, MemorySwap: -1, CpuQuota: -1, CpuShares: -1 }),
    );
  });

  it('ulimits: soft above hard and unknown names', () => {
    refused(
      () => hc({ Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] }),
      'ulimit soft limit must be less than or equal to hard limit: 10 > 5',
    );
    refused(
      () => hc({ Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 5 }] }),
      'invalid ulimit type: bogus',
    );
    assert.doesNotThrow(() => hc({ Ulimits: [{ Name: 'nofile', Soft: 10, Hard: -1 }] }));
  });

  it('port bindings as validatePortBindings / nat.NewPort judge them', () => {
    const pb = (key: string, hostPort: string): unknown =>
      hc({ PortBindings: { [key]: [{ HostPort: hostPort }] } });
    refused(() => pb('80/tcp', '70000'), 'invalid port specification: "70000"');
    refused(() => pb('80/tcp', 'abc'), 'invalid port specification: "abc"');
    refused(() => pb('80/tcp', '5-3'), 'invalid port specification: "5-3"');
    refused(() => pb('70000/tcp', '80'), 'invalid port specification: "70000"');
    refused(() => pb('x/tcp', '80'), 'invalid port specification: "x"');
    for (const ok of ['', '0', '8080', '8000-8010', '80/udp', '65535'])
      assert.doesNotThrow(() => pb('80/tcp', ok), ok);
    const kept = parseHostConfig({ PortBindings: { '80/tcp': [{ HostPort: '8080/udp' }] } });
    assert.deepEqual(kept.portBindings['80/tcp'], [{ hostIp: '', hostPort: '8080' }]);
  });

  it('restart policies as ValidateRestartPolicy judges them', () => {
    const rp = (Name: string, MaximumRetryCount: number): unknown =>
      hc({ RestartPolicy: { Name, MaximumRetryCount } });
    refused(
      () => rp('always', -1),
      "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative",
    );
    refused(
      () => rp('on-failure', -1),
      'invalid restart policy: maximum retry count cannot be negative',
    );
    assert.doesNotThrow(() => rp('', 3));
  });

  it('an invalid image reference is a 400 invalid reference format', () => {
    assert.throws(() => parseCreateBody({ Image: 'busy box' }, null, null), {
      kind: 'invalid-argument',
      message: /^invalid reference format/,
    });
  });
});

describe('update validation', () => {
  it('shares the resource rules and types, with UpdateConfig paths', () => {
    refused(
      () => parseUpdateBody({ CpuShares: 1e20 }),
      go('number 100000000000000000000', 'UpdateConfig.Resources.CpuShares', 'int64'),
    );
    refused(() => parseUpdateBody({ Memory: 5 }), 'Minimum memory limit allowed is 6MB');
    refused(
      () => parseUpdateBody({ NanoCpus: 1e9, CpuQuota: 100000 }),
      'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
    );
    refused(
      () => parseUpdateBody({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1.5 } }),
      go('number 1.5', 'RestartPolicy.RestartPolicy.MaximumRetryCount', 'int'),
    );
  });

  it('keeps what the CLI sends without flags as "no change"', () => {
    const u = parseUpdateBody({
      MemorySwap: 9_000_000,
      PidsLimit: -1,
      RestartPolicy: { Name: '' },
    });
    // Swap without memory is allowed on update (dockerd's `update` flag); PidsLimit ≤ 0 → 0.
    assert.deepEqual(u, { resources: { memorySwap: 9_000_000, pidsLimit: 0 } });
  });
});
