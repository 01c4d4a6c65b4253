// One e2e session as the unprivileged user: start the shared registry, push the standard test
// images, run the e2e files with node --test, stop the registry, print the summary line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startRegistry } from '../test/helpers/registry.js';
import { buildBusybox, pushImage } from '../test/helpers/image-builder.js';

const files = process.argv.slice(2);
if (process.getuid?.() === 0) {
  console.error(
    'e2e tests must run as an unprivileged user (npm run test:e2e as root creates one)',
  );
  process.exit(1);
}
const registry = await startRegistry();
let status = 1;
try {
  await pushImage({ addr: registry.addr }, 'busybox', 'latest', await buildBusybox());
  const tapDir = mkdtempSync(join(tmpdir(), 'skiff-tap-'));
  const tap = join(tapDir, 'e2e.tap');
  const concurrency = process.env['SKIFF_TEST_CONCURRENCY'] ?? '2';
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      `--test-concurrency=${concurrency}`,
      '--test-timeout=900000',
      ...files,
    ],
    { stdio: 'inherit', env: { ...process.env, SKIFF_TEST_REGISTRY: registry.addr } },
  );
  status = r.status ?? 1;
  let text = '';
  try {
    text = readFileSync(tap, 'utf8');
  } catch {
    // runner died
  }
  rmSync(tapDir, { recursive: true, force: true });
  const num = (k: string): number =>
    Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  console.log(
    `SUMMARY e2e: ${num('pass')} passed, ${num('fail')} failed, ${num('skipped')} skipped (${files.length} files)`,
  );
} finally {
  await registry.stop();
}
process.exit(status);
