import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenge } from '../../../src/registry/www-authenticate.js';
import { decodeRegistryAuth } from '../../../src/registry/credentials.js';
import { RegistryHosts } from '../../../src/registry/registry-hosts.js';
import { registryMessage } from '../../../src/registry/registry-errors.js';

describe('registry client pieces', () => {
  it('parses Bearer and Basic challenges', () => {
    const c = parseChallenge(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
    );
    assert.equal(c?.scheme, 'bearer');
    assert.equal(c?.params['realm'], 'https://auth.example/token');
    assert.equal(c?.params['scope'], 'repository:a/b:pull');
    assert.equal(parseChallenge('Basic realm="x"')?.scheme, 'basic');
    assert.equal(parseChallenge('Negotiate'), undefined);
  });

  it('decodes X-Registry-Auth (base64url JSON)', () => {
    const header = Buffer.from(
      JSON.stringify({ username: 'u', password: 'p+/=', serveraddress: 'r:5000' }),
    ).toString('base64url');
    assert.deepEqual(decodeRegistryAuth(header), {
      username: 'u',
      password: 'p+/=',
      serverAddress: 'r:5000',
    });
    assert.equal(decodeRegistryAuth(''), undefined);
    assert.equal(decodeRegistryAuth(Buffer.from('{}').toString('base64')), undefined);
  });

  it('127.0.0.0/8 is insecure by default; configured CIDRs and host:port too', () => {
    const h = new RegistryHosts({
      certsDir: '/nonexistent',
      insecureRegistries: ['10.0.0.0/8', 'reg.local:5000'],
      mirrors: [],
    });
    assert.equal(h.isInsecure('127.0.0.1:5000'), true);
    assert.equal(h.isInsecure('10.1.2.3:443'), true);
    assert.equal(h.isInsecure('reg.local:5000'), true);
    assert.equal(h.isInsecure('reg.local:5001'), false);
    assert.equal(h.isInsecure('example.com'), false);
  });

  it("surfaces the registry's own error message", () => {
    assert.equal(
      registryMessage(
        Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'),
        404,
      ),
      'manifest unknown: manifest unknown',
    );
    assert.equal(registryMessage(Buffer.from(''), 502), 'HTTP 502');
  });
});
