import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { readEnvironment } from '../../../../src/skiffd/config/environment.js';

describe('readEnvironment', () => {
  it('takes HOME and PATH from the environment given, and keeps all variables', () => {
    const env = { HOME: '/home/alice', PATH: '/usr/bin:/bin', SKIFF_ROOTLESSKIT_NET: 'pasta' };
    const e = readEnvironment(env);
    assert.equal(e.home, '/home/alice');
    assert.equal(e.pathEnv, '/usr/bin:/bin');
    assert.equal(e.vars['SKIFF_ROOTLESSKIT_NET'], 'pasta');
  });

  it("without HOME: the account's home directory; without PATH: undefined", () => {
    const e = readEnvironment({});
    assert.equal(e.home, homedir());
    assert.equal(e.pathEnv, undefined);
  });

  it('reads the proxies in upper case first, then lower case, else empty', () => {
    const upper = readEnvironment({
      HTTP_PROXY: 'http://up:3128',
      http_proxy: 'http://low:3128',
      HTTPS_PROXY: 'http://up:3129',
      https_proxy: 'http://low:3129',
      NO_PROXY: 'up.example',
      no_proxy: 'low.example',
    });
    assert.deepEqual(
      [upper.httpProxy, upper.httpsProxy, upper.noProxy],
      ['http://up:3128', 'http://up:3129', 'up.example'],
    );
    const lower = readEnvironment({
      http_proxy: 'http://low:3128',
      https_proxy: 'http://low:3129',
      no_proxy: 'localhost,127.0.0.1',
    });
    assert.deepEqual(
      [lower.httpProxy, lower.httpsProxy, lower.noProxy],
      ['http://low:3128', 'http://low:3129', 'localhost,127.0.0.1'],
    );
    const none = readEnvironment({ HOME: '/h' });
    assert.deepEqual([none.httpProxy, none.httpsProxy, none.noProxy], ['', '', '']);
  });
});
