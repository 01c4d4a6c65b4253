// `npm run bench [-- --readme] [bench/x.ts ...]`: runs every bench/*.ts (or the ones named) with
// tsx, as root, one after the other, printing their output; then one table of the figures they
// emitted (`#figure` lines, see bench/bench-lib.ts): skiff beside each reference engine and the
// floors, median (min–max), ratios. With --readme the table replaces the README's (between the
// bench markers), so the README is regenerated, not hand-copied. Benchmarks assert nothing;
// compare ratios from one run.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Run with tsx loaded (package.json), so that the table code is the typed, unit-tested module.
import { figureTable } from '../bench/bench-table.ts';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const args = process.argv.slice(2);
const writeReadme = args.includes('--readme');
// --from-logs a.log b.log: no bench runs; the table comes from the #figure lines of earlier runs'
// output (a later log's figure replaces an earlier one of the same metric and engine), e.g. when
// one engine hung in a run and its benches were run again.
const fromLogs = args.includes('--from-logs');
const named = args.filter((a) => a !== '--readme' && a !== '--from-logs');
const files =
  named.length > 0
    ? named
    : readdirSync(join(root, 'bench'))
        .filter((f) => f.endsWith('.ts') && f !== 'bench-lib.ts' && f !== 'bench-table.ts')
        .map((f) => join('bench', f));
if (!fromLogs && process.getuid() !== 0) {
  console.error('run the benchmarks as root: each engine runs as its own unprivileged user');
  process.exit(2);
}
if (!fromLogs) spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

/** Runs one bench, echoing its output, and resolves with its figures and exit status. */
function runBench(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (b) => {
      process.stdout.write(b);
      output += b.toString();
    });
    child.on('close', (code) => resolve({ code, figures: figuresIn(output) }));
  });
}

/** The #figure lines of a bench's output. */
function figuresIn(text) {
  return text
    .split('\n')
    .filter((l) => l.startsWith('#figure '))
    .map((l) => JSON.parse(l.slice('#figure '.length)));
}

let failed = false;
let figures = [];
if (fromLogs) {
  const byKey = new Map();
  for (const log of named)
    for (const f of figuresIn(readFileSync(log, 'utf8'))) byKey.set(`${f.metric}\0${f.engine}`, f);
  figures = [...byKey.values()];
} else
  for (const f of files) {
    console.log(`\n## ${f}`);
    const r = await runBench(f);
    failed ||= r.code !== 0;
    figures.push(...r.figures);
  }
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const when = fromLogs
  ? `gathered from the output of ${named.length} runs`
  : `${new Date().toISOString().slice(0, 16)}Z, load ${load}`;
const table = figureTable(figures, when);
console.log(`\n## all figures\n\n${table}`);
if (writeReadme) {
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.error('run-bench: README.md has no bench markers; table not written');
    failed = true;
  } else {
    writeFileSync(readme, `${text.slice(0, a + start.length)}\n\n${table}\n\n${text.slice(b)}`);
    // Prettier aligns markdown tables; `npm run format:check` must still pass afterwards.
    spawnSync('npx', ['prettier', '--write', 'README.md'], { cwd: root, stdio: 'ignore' });
    console.log('run-bench: README.md table regenerated');
  }
}
process.exit(failed ? 1 : 0);
