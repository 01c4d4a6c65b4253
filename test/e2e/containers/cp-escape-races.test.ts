// Issue 8, findings 3-5: docker cp both ways, export and commit of a running container whose
// process swaps a directory with a symlink to the user's home as fast as it can. Each operation
// runs 1,000 times (export and commit fewer: each walks the whole rootfs); nothing may be
// written into, or read out of, the host directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { execOk } from '../../helpers/exec.js';
import { rawTar } from '../../helpers/raw-tar.js';

const SECRET = 'host secret: never in a container';

function call(
  d: TestDaemon,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: d.socket,
        method,
        path,
        headers: body ? { 'Content-Type': 'application/x-tar' } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('docker cp, export and commit against a container racing symlink swaps', () => {
  let d: TestDaemon;
  let victim: string;
  before(async () => {
    d = await daemonWithBusybox();
    victim = join(d.dir, 'victim-home');
    await mkdir(victim);
    await writeFile(join(victim, 'secret.txt'), SECRET);
    const src = join(import.meta.dirname, '../../fixtures/path-swapper.c');
    const bin = join(d.dir, 'path-swapper');
    await execOk('gcc', ['-static', '-O2', '-o', bin, src]);
    await dockerOk(d, ['run', '-d', '--name', 'racer', 'busybox', 'sleep', '3600']);
    await dockerOk(d, ['cp', bin, 'racer:/bin/path-swapper']);
    await dockerOk(d, [
      'exec',
      'racer',
      'sh',
      '-c',
      `mkdir -p /w/d && echo mine > /w/d/f && ln -s ${victim} /w/evil`,
    ]);
    await dockerOk(d, ['exec', '-d', 'racer', '/bin/path-swapper', '/w/d', '/w/evil']);
  });
  after(async () => {
    await d.cleanup();
  });

  const hostUntouched = async (): Promise<void> => {
    assert.deepEqual(await readdir(victim), ['secret.txt']);
    assert.equal(await readFile(join(victim, 'secret.txt'), 'utf8'), SECRET);
  };

  it('1,000 uploads into the swapped directory never land in the host directory', async () => {
    const tar = await rawTar([{ name: 'pwned.txt', body: 'from docker cp' }]);
    let ok = 0;
    for (let i = 0; i < 1000; i++) {
      const r = await call(d, 'PUT', '/containers/racer/archive?path=/w/d', tar);
      if (r.status === 200) ok++;
      else assert.ok(r.status < 500, `upload ${i}: ${r.status} ${r.body.toString()}`);
    }
    await hostUntouched();
    assert.ok(ok > 0, 'no upload went through: the test did not exercise the race');
  });

  it('1,000 downloads of the swapped directory never carry a host file', async () => {
    let withContent = 0;
    for (let i = 0; i < 1000; i++) {
      const r = await call(d, 'GET', '/containers/racer/archive?path=/w/d');
      assert.ok(r.status < 500, `download ${i}: ${r.status} ${r.body.toString()}`);
      assert.ok(!r.body.includes(SECRET), `download ${i} carried the host file`);
      if (r.body.includes('mine')) withContent++;
    }
    assert.ok(withContent > 0, 'no download saw the directory: the race was not exercised');
  });

  it('export (20x) and commit (10x) while swapping never carry a host file', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await call(d, 'GET', '/containers/racer/export');
      assert.equal(r.status, 200);
      assert.ok(!r.body.includes(SECRET), `export ${i} carried the host file`);
    }
    for (let i = 0; i < 10; i++) {
      const r = await call(d, 'POST', `/commit?container=racer&repo=raced&tag=v${i}&pause=0`);
      assert.equal(r.status, 201, r.body.toString());
      const saved = await call(d, 'GET', `/images/raced:v${i}/get`);
      assert.equal(saved.status, 200);
      assert.ok(!saved.body.includes(SECRET), `commit ${i} put the host file in the image`);
    }
    await hostUntouched();
  });

  it('a hardlink through a planted symlink to a host file is a 400 naming no host path', async () => {
    const tar = await rawTar([
      { name: 'l', type: 'symlink', linkname: victim },
      { name: 'stolen', type: 'link', linkname: 'l/secret.txt' },
    ]);
    const r = await call(d, 'PUT', '/containers/racer/archive?path=/tmp', tar);
    assert.equal(r.status, 400, r.body.toString());
    assert.ok(!r.body.toString().includes(d.dir), `host path in: ${r.body.toString()}`);
    await hostUntouched();
    const inside = await dockerOk(d, ['exec', 'racer', 'ls', '/tmp']);
    assert.doesNotMatch(inside, /stolen/);
  });
});
