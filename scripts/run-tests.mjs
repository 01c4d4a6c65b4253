// The test command behind `npm test`, `npm run test:unit` and `npm run test:e2e`.
//   node scripts/run-tests.mjs unit|e2e|all [test files...]
// Unit tests run as whoever calls. E2E tests run the real daemon and must run as an
// unprivileged user: as root this script creates one (scripts/ensure-rootless-user.sh) and re-runs
// the e2e part as that user. Prints Node's spec report and, last, one summary line per suite.
import { spawnSync } from 'node:child_process';
import {
  readdirSync,
  statSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  cpSync,
  existsSync,
  chmodSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const [suite = 'all', ...explicit] = process.argv.slice(2);
if (!['unit', 'e2e', 'all', 'e2e-inner'].includes(suite)) {
  console.error('usage: run-tests.mjs unit|e2e|all [files...]');
  process.exit(2);
}

function findTests(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts')) out.push(relative(root, p));
    }
  };
  try {
    walk(join(root, dir));
  } catch {
    // no tests yet
  }
  return out;
}

function pick(kind) {
  const mine = explicit.filter(
    (f) => f.includes(`test/${kind}/`) || f.includes(`test/conformance/`),
  );
  return explicit.length > 0 ? mine : findTests(`test/${kind}`);
}

/** Runs node --test; returns {pass, fail} parsed from a TAP copy of the report. */
function nodeTest(files, { concurrency, env, cwd = root } = {}) {
  if (files.length === 0) return { pass: 0, fail: 0, ok: true };
  const tapDir = mkdtempSync(join(tmpdir(), 'skiff-tap-'));
  chmodSync(tapDir, 0o777);
  const tap = join(tapDir, 'report.tap');
  const args = [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
  ];
  if (concurrency) args.push(`--test-concurrency=${concurrency}`);
  args.push('--test-timeout=900000', ...files);
  const r = spawnSync(process.execPath, args, {
    cwd,
    stdio: 'inherit',
    env: env ?? process.env,
  });
  let text = '';
  try {
    text = readFileSync(tap, 'utf8');
  } catch {
    // the runner died before writing
  }
  rmSync(tapDir, { recursive: true, force: true });
  const num = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    pass: num('pass'),
    fail: num('fail') + (r.status !== 0 && num('fail') === 0 ? 1 : 0),
    ok: r.status === 0,
  };
}

function build() {
  // A checkout where only ./quickstart.sh ran as root has no node_modules: the quickstart built
  // a copy in /opt/skiff, because its user could not read this one.
  if (!existsSync(join(root, 'node_modules'))) {
    const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
    if (ci.status !== 0) {
      console.error('npm ci failed');
      process.exit(1);
    }
  }
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('build failed');
    process.exit(1);
  }
}

function runE2eAsTestUser(files) {
  // The packages the suites drive (the one list, shared with .ci/run and the quickstart): a
  // no-op when they are there, so `npm test` as root works on a machine that only ran
  // ./quickstart.sh, or none.
  const deps = spawnSync('bash', [join(root, 'scripts/install-deps.sh'), 'test'], {
    stdio: 'inherit',
  });
  if (deps.status !== 0) process.exit(1);
  const ensure = spawnSync('bash', [join(root, 'scripts/ensure-rootless-user.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (ensure.status !== 0) process.exit(1);
  const user = ensure.stdout.trim();
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim();
  const home = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':')[5];
  const cwd = checkoutReadableBy(user, { chown: true });
  const env = [
    `HOME=${home}`,
    `USER=${user}`,
    `LOGNAME=${user}`,
    `XDG_RUNTIME_DIR=/run/user/${uid}`,
    `PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin`,
    `TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1`,
  ];
  for (const k of ['SKIFF_TEST_CONCURRENCY', 'SKIFF_TEST_DOCKER', 'SKIFF_KEEP_TEST_DIRS'])
    if (process.env[k]) env.push(`${k}=${process.env[k]}`);
  const smallFs = mountSmallFs(user);
  if (smallFs) env.push(`SKIFF_TEST_SMALL_FS=${smallFs}`);
  const r = spawnSync(
    'runuser',
    [
      '-u',
      user,
      '--',
      'env',
      '-i',
      ...env,
      process.execPath,
      join(cwd, 'scripts/run-tests.mjs'),
      'e2e-inner',
      ...files,
    ],
    { cwd, stdio: 'inherit' },
  );
  // Whatever a failed test left running (daemons, monitors, containers) goes with the session.
  spawnSync('pkill', ['-KILL', '-u', user]);
  if (smallFs) unmountSmallFs(smallFs);
  return r.status ?? 1;
}

/**
 * The checkout, or a copy of it when `user` cannot read it (a clone under /root): the tests run
 * the daemon and the CLI from there as that user. The copy is the caller's to remove.
 */
function checkoutReadableBy(user, { chown }) {
  if (
    spawnSync('runuser', ['-u', user, '--', 'test', '-r', join(root, 'package.json')]).status === 0
  )
    return root;
  const copy = mkdtempSync(join(tmpdir(), 'skiff-test-src-'));
  cpSync(root, copy, { recursive: true });
  spawnSync(chown ? 'chown' : 'chmod', chown ? ['-R', `${user}:`, copy] : ['-R', 'a+rX', copy]);
  chmodSync(copy, 0o755);
  console.log(`(running tests from a copy at ${copy}: ${user} cannot read ${root})`);
  return copy;
}

// A small filesystem the test user owns, for the disk-full tests (issue 8): the user cannot
// mount one, so root does, before the session, and removes it after. Fixed path per user, so
// that a run killed half way is cleaned by the next one.
const SMALL_FS_MIB = 48;

function mountSmallFs(user) {
  const dir = `/run/skiff-test-small-fs-${user}`;
  const ids = (flag) => spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim();
  unmountSmallFs(dir);
  spawnSync('mkdir', ['-p', dir]);
  const m = spawnSync(
    'mount',
    [
      '-t',
      'tmpfs',
      '-o',
      `size=${SMALL_FS_MIB}m,mode=0700,uid=${ids('-u')},gid=${ids('-g')}`,
      'skiff-test-small-fs',
      dir,
    ],
    { encoding: 'utf8' },
  );
  if (m.status !== 0) {
    console.log(`(no small tmpfs for the disk-full tests: ${m.stderr.trim() || 'mount failed'})`);
    return undefined;
  }
  return dir;
}

function unmountSmallFs(dir) {
  // Lazy: a process of the test user that survived pkill must not keep it mounted for good.
  while (spawnSync('mountpoint', ['-q', dir]).status === 0)
    if (spawnSync('umount', ['-l', dir]).status !== 0) return;
  rmSync(dir, { recursive: true, force: true });
}

const summary = [];
let failed = false;

if (suite === 'unit' || suite === 'all') {
  // Unit tests load the native helpers too (the skiff-confine addon, skiff-fsops).
  build();
  const r = nodeTest(pick('unit'));
  summary.push(`unit: ${r.pass} passed, ${r.fail} failed`);
  failed ||= !r.ok;
}

if (suite === 'e2e' || suite === 'all') {
  if (suite === 'e2e') build();
  const files = pick('e2e');
  if (process.getuid() === 0) {
    // What only root can arrange (a user with no subuids, running the daemon as root) first.
    const rootFiles = pick('e2e-root');
    if (rootFiles.length > 0) {
      // refusals.test.ts runs the CLI as a user of its own, without subordinate ids.
      const cwd = checkoutReadableBy('nobody', { chown: false });
      const r = nodeTest(rootFiles, { cwd });
      if (cwd !== root) rmSync(cwd, { recursive: true, force: true });
      summary.push(`e2e-root: ${r.pass} passed, ${r.fail} failed`);
      failed ||= !r.ok;
    }
    // Only root-phase files named: the unprivileged suites have nothing to run.
    const status = explicit.length > 0 && files.length === 0 ? 0 : runE2eAsTestUser(files);
    failed ||= status !== 0;
    summary.push(
      `e2e: see the summary above (as the unprivileged test user), exit status ${status}`,
    );
  } else {
    if (pick('e2e-root').length > 0) summary.push('e2e-root: skipped (needs root)');
    const status = spawnSync(
      process.execPath,
      [join(root, 'scripts/run-tests.mjs'), 'e2e-inner', ...files],
      { cwd: root, stdio: 'inherit' },
    ).status;
    failed ||= status !== 0;
  }
}

if (suite === 'e2e-inner') {
  // As the unprivileged user: one shared registry with the standard images, then the suites.
  const files = explicit.length > 0 ? explicit : findTests('test/e2e');
  const session = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'scripts/e2e-session.ts'), ...files],
    { cwd: root, stdio: 'inherit' },
  );
  process.exit(session.status ?? 1);
}

for (const line of summary) console.log(`SUMMARY ${line}`);
process.exit(failed ? 1 : 0);
