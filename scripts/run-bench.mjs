// `npm run bench`: runs every bench/*.ts (or the ones named) with tsx, as root, one after the
// other, printing their figures. Benchmarks assert nothing; compare ratios from one run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const named = process.argv.slice(2);
const files =
  named.length > 0
    ? named
    : readdirSync(join(root, 'bench'))
        .filter((f) => f.endsWith('.ts') && f !== 'bench-lib.ts')
        .map((f) => join('bench', f));
if (process.getuid() !== 0) {
  console.error('run the benchmarks as root: each engine runs as its own unprivileged user');
  process.exit(2);
}
spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
let failed = false;
for (const f of files) {
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', f], { cwd: root, stdio: 'inherit' });
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
