import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkJson, parseNetworkCreate } from '../../../../src/api/wire/network-json.js';

describe('network wire', () => {
  it("reads docker-py's body, where unset fields are null", () => {
    const req = parseNetworkCreate(
      {
        Name: 'proj_default',
        Driver: null,
        Options: null,
        IPAM: null,
        CheckDuplicate: true,
        Labels: { 'com.docker.compose.project': 'proj' },
      },
      '1.41',
    );
    assert.equal(req.name, 'proj_default');
    assert.equal(req.driver, '');
    assert.deepEqual(req.ipamConfigs, []);
    assert.deepEqual(req.options, {});
    assert.deepEqual(req.labels, { 'com.docker.compose.project': 'proj' });
    assert.equal(req.enableIPv4, undefined);
  });

  it('reads IPAM entries and honours EnableIPv4 only from API 1.48', () => {
    const body = {
      Name: 'n',
      EnableIPv4: false,
      EnableIPv6: true,
      IPAM: {
        Driver: 'default',
        Config: [
          {
            Subnet: '10.1.0.0/16',
            IPRange: '10.1.2.0/24',
            Gateway: '10.1.0.1',
            AuxiliaryAddresses: { a: '10.1.0.2' },
          },
        ],
      },
    };
    const req = parseNetworkCreate(body, '1.48');
    assert.equal(req.enableIPv4, false);
    assert.equal(req.enableIPv6, true);
    assert.deepEqual(req.ipamConfigs, [
      {
        subnet: '10.1.0.0/16',
        ipRange: '10.1.2.0/24',
        gateway: '10.1.0.1',
        auxAddresses: { a: '10.1.0.2' },
      },
    ]);
    assert.equal(parseNetworkCreate(body, '1.47').enableIPv4, undefined);
  });

  it('refuses wrong types and a missing name with 400', () => {
    assert.throws(() => parseNetworkCreate({}, '1.50'), { kind: 'invalid-argument' });
    assert.throws(() => parseNetworkCreate({ Name: 'n', Internal: 'yes' }, '1.50'), {
      kind: 'invalid-argument',
      message: /Internal/,
    });
    assert.throws(
      () => parseNetworkCreate({ Name: 'n', IPAM: { Config: [{ Subnet: 5 }] } }, '1.50'),
      {
        kind: 'invalid-argument',
        message: /IPAM\.Config\[0\]\.Subnet/,
      },
    );
  });

  it("shapes a network as dockerd's inspect, in its field order", () => {
    const j = networkJson({
      record: {
        id: 'a'.repeat(64),
        name: 'n',
        driver: 'bridge',
        created: '2025-01-01T00:00:00.000Z',
        predefined: false,
        internal: false,
        attachable: false,
        enableIPv4: true,
        enableIPv6: false,
        ipamDriver: 'default',
        ipamOptions: {},
        subnets: [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }],
        options: {},
        labels: {},
        bridgeName: 'br-aaaaaaaaaaaa',
        dnsEnabled: true,
      },
      endpoints: [
        {
          containerId: 'c'.repeat(64),
          name: 'web',
          endpointId: 'e'.repeat(64),
          macAddress: '02:42:ac:12:00:02',
          ipv4Address: '172.18.0.2/16',
          ipv6Address: '',
        },
      ],
    });
    assert.deepEqual(Object.keys(j), [
      'Name',
      'Id',
      'Created',
      'Scope',
      'Driver',
      'EnableIPv4',
      'EnableIPv6',
      'IPAM',
      'Internal',
      'Attachable',
      'Ingress',
      'ConfigFrom',
      'ConfigOnly',
      'Containers',
      'Options',
      'Labels',
    ]);
    assert.deepEqual(j['IPAM'], {
      Driver: 'default',
      Options: {},
      Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }],
    });
    assert.deepEqual(j['Containers'], {
      ['c'.repeat(64)]: {
        Name: 'web',
        EndpointID: 'e'.repeat(64),
        MacAddress: '02:42:ac:12:00:02',
        IPv4Address: '172.18.0.2/16',
        IPv6Address: '',
      },
    });
  });
});
