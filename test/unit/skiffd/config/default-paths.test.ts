import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPaths } from '../../../../src/skiffd/config/default-paths.js';

describe('defaultPaths', () => {
  it("uses Rootless Docker's places under skiff's names, from the XDG variables", () => {
    const p = defaultPaths(
      {
        XDG_RUNTIME_DIR: '/run/user/1000',
        XDG_DATA_HOME: '/data/alice',
        XDG_CONFIG_HOME: '/cfg/alice',
      },
      '/home/alice',
    );
    assert.deepEqual(p, {
      dataRoot: '/data/alice/skiff',
      execRoot: '/run/user/1000/skiff',
      socketPath: '/run/user/1000/docker.sock',
      configFile: '/cfg/alice/skiff/daemon.json',
    });
  });

  it('falls back to ~/.local/share and ~/.config when the XDG homes are unset or empty', () => {
    for (const env of [
      { XDG_RUNTIME_DIR: '/run/user/1000' },
      { XDG_RUNTIME_DIR: '/run/user/1000', XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' },
    ]) {
      const p = defaultPaths(env, '/home/alice');
      assert.equal(p.dataRoot, '/home/alice/.local/share/skiff');
      assert.equal(p.configFile, '/home/alice/.config/skiff/daemon.json');
    }
  });

  it('without XDG_RUNTIME_DIR: /run/user/<uid of this process>', () => {
    const uid = process.getuid?.() ?? 0;
    const p = defaultPaths({}, '/home/alice');
    assert.equal(p.execRoot, `/run/user/${uid}/skiff`);
    assert.equal(p.socketPath, `/run/user/${uid}/docker.sock`);
  });

  it('normalises doubled and trailing slashes', () => {
    const p = defaultPaths({ XDG_RUNTIME_DIR: '/run/user/1000/', XDG_DATA_HOME: '/d//x/' }, '/h');
    assert.equal(p.socketPath, '/run/user/1000/docker.sock');
    assert.equal(p.dataRoot, '/d/x/skiff');
  });
});
