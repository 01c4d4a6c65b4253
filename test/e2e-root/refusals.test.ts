// Issue 2, the parts only root can set up: `skiff daemon` run as real root is refused, and
// `skiff setup check` for a user with no subordinate ids says what is missing and how to fix it.
// scripts/run-tests.mjs runs this directory as root, before the unprivileged e2e suites.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { exec } from '../helpers/exec.js';
import { skiffCli } from '../helpers/paths.js';

const noSubUser = 'skiffnosub';

describe(
  'refusals that need root to arrange',
  { skip: process.getuid?.() !== 0 && 'needs root' },
  () => {
    before(async () => {
      if ((await exec('id', [noSubUser])).code !== 0) {
        // SUB_*_COUNT=0: useradd must not hand out a range, which is the point of this user.
        const r = await exec('useradd', [
          '-m',
          '-K',
          'SUB_UID_COUNT=0',
          '-K',
          'SUB_GID_COUNT=0',
          noSubUser,
        ]);
        assert.equal(r.code, 0, r.stderr);
      }
      for (const f of ['/etc/subuid', '/etc/subgid'])
        assert.doesNotMatch(
          await readFile(f, 'utf8').catch(() => ''),
          new RegExp(`^${noSubUser}:`, 'm'),
        );
    });

    it('skiff daemon as real root is refused, and only for that reason', async () => {
      const r = await exec(process.execPath, [skiffCli, 'daemon'], {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: '/root',
          XDG_RUNTIME_DIR: '/tmp',
        },
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /running as real root: rootless mode must run as an unprivileged user/,
      );
      assert.match(r.stderr, /fix: run skiff as a normal user/);
      // Subuid fixes for root would send the admin the wrong way.
      assert.doesNotMatch(r.stderr, /subuid/);
    });

    it('skiff setup check for a user without subuid/subgid entries names them and gives the usermod fix', async () => {
      const uid = (await exec('id', ['-u', noSubUser])).stdout.trim();
      await exec('install', ['-d', '-m', '0700', '-o', noSubUser, `/run/user/${uid}`]);
      const r = await exec(
        'runuser',
        [
          '-u',
          noSubUser,
          '--',
          'env',
          '-i',
          'PATH=/usr/local/bin:/usr/bin:/bin',
          `HOME=/home/${noSubUser}`,
          `XDG_RUNTIME_DIR=/run/user/${uid}`,
          process.execPath,
          skiffCli,
          'setup',
          'check',
        ],
        { timeoutMs: 30_000 },
      );
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `\\[FAIL\\] /etc/subuid has ≥ 65536 ids for ${noSubUser}: no entry for ${noSubUser} in /etc/subuid`,
        ),
      );
      assert.match(r.stdout, new RegExp(`\\[FAIL\\] /etc/subgid has ≥ 65536 ids for ${noSubUser}`));
      assert.match(
        r.stdout,
        new RegExp(
          `fix: sudo usermod --add-subuids (\\d+)-(\\d+) --add-subgids \\1-\\2 ${noSubUser}`,
        ),
      );
      const [, from, to] = /--add-subuids (\d+)-(\d+)/.exec(r.stdout) ?? [];
      assert.equal(Number(to) - Number(from) + 1, 65536);
      // The rest of the list is still there, and what is fine says ok.
      assert.match(r.stdout, /\[ ok \] newuidmap and newgidmap/);
      assert.match(r.stdout, /\[ ok \] XDG_RUNTIME_DIR set, owned by you, mode 0700/);
    });
  },
);
