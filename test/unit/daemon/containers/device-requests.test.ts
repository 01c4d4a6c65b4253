import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cdiNamesForRequests } from '../../../../src/daemon/containers/device-requests.js';
import type { DeviceRequest } from '../../../../src/daemon/containers/container-config.js';
import type { CdiRegistry } from '../../../../src/runtime/cdi/cdi-registry.js';
import { validateCdiSpec } from '../../../../src/runtime/cdi/cdi-spec.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

const DIRS = ['/etc/cdi', '/var/run/cdi'];

function registry(kinds: Record<string, readonly string[]>): CdiRegistry {
  return {
    dirs: DIRS,
    errors: [],
    specs: Object.entries(kinds).map(([kind, names]) => ({
      priority: 0,
      spec: validateCdiSpec(
        {
          cdiVersion: '0.6.0',
          kind,
          devices: names.map((name) => ({ name, containerEdits: { env: [`D=${name}`] } })),
        },
        `/etc/cdi/${kind.replace('/', '-')}.json`,
      ),
    })),
  };
}

const gpus = (r: Partial<DeviceRequest>): DeviceRequest => ({
  driver: '',
  count: 0,
  deviceIds: [],
  capabilities: [['gpu']],
  options: {},
  ...r,
});

function rejects(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && re.test(e.message));
}

describe('device requests through CDI', () => {
  const reg = registry({ 'nvidia.com/gpu': ['1', '0', '2'], 'skiff.test/fake': ['null0'] });

  it('Driver cdi (the CLI --device vendor/class=name): the DeviceIDs as they are', () => {
    assert.deepEqual(
      cdiNamesForRequests(
        [
          {
            driver: 'cdi',
            count: 0,
            deviceIds: ['skiff.test/fake=null0'],
            capabilities: [],
            options: {},
          },
        ],
        reg,
      ),
      ['skiff.test/fake=null0'],
    );
    rejects(
      () =>
        cdiNamesForRequests(
          [{ driver: 'cdi', count: 1, deviceIds: ['a.b/c=d'], capabilities: [], options: {} }],
          reg,
        ),
      /^unexpected count in CDI device request$/,
    );
    rejects(
      () =>
        cdiNamesForRequests(
          [
            {
              driver: 'cdi',
              count: 0,
              deviceIds: ['a.b/c=d'],
              capabilities: [],
              options: { x: 'y' },
            },
          ],
          reg,
        ),
      /^unexpected options in CDI device request$/,
    );
  });

  it('--gpus all, device=0,1 and a count map to nvidia.com/gpu devices', () => {
    assert.deepEqual(cdiNamesForRequests([gpus({ count: -1 })], reg), ['nvidia.com/gpu=all']);
    assert.deepEqual(cdiNamesForRequests([gpus({ driver: 'nvidia', count: -1 })], reg), [
      'nvidia.com/gpu=all',
    ]);
    assert.deepEqual(cdiNamesForRequests([gpus({ deviceIds: ['0', '1'] })], reg), [
      'nvidia.com/gpu=0',
      'nvidia.com/gpu=1',
    ]);
    assert.deepEqual(cdiNamesForRequests([gpus({ count: 2 })], reg), [
      'nvidia.com/gpu=0',
      'nvidia.com/gpu=1',
    ]);
    assert.deepEqual(
      cdiNamesForRequests([gpus({ count: -1, capabilities: [['utility', 'gpu']] })], reg),
      ['nvidia.com/gpu=all'],
    );
    rejects(
      () => cdiNamesForRequests([gpus({ count: 4 })], reg),
      /4 nvidia\.com\/gpu devices requested, 3 available/,
    );
    rejects(
      () => cdiNamesForRequests([gpus({ count: 1, deviceIds: ['0'] })], reg),
      /cannot set both Count and DeviceIDs on device request/,
    );
  });

  it('--gpus without an nvidia.com/gpu spec keeps the 400 naming the CDI directories', () => {
    rejects(
      () => cdiNamesForRequests([gpus({ count: -1 })], registry({ 'skiff.test/fake': ['x'] })),
      /^could not select device driver "" with capabilities: \[\[gpu\]\]: skiff supports GPUs through CDI specs in \/etc\/cdi or \/var\/run\/cdi; none found$/,
    );
  });

  it('another driver, or capabilities no driver has: dockerd words', () => {
    rejects(
      () => cdiNamesForRequests([gpus({ driver: 'amd', count: -1 })], reg),
      /^could not select device driver "amd" with capabilities: \[\[gpu\]\]$/,
    );
    rejects(
      () => cdiNamesForRequests([gpus({ count: -1, capabilities: [['tpu']] })], reg),
      /^could not select device driver "" with capabilities: \[\[tpu\]\]$/,
    );
  });

  it('no request: no names', () => {
    assert.deepEqual(cdiNamesForRequests([], reg), []);
  });
});
