// Builds skiff's small C helpers into native/build/ (see the comment at the top of each file).
// Needs a C compiler (Debian: gcc, part of build-essential); fails loudly without one.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native');
const out = join(src, 'build');
mkdirSync(out, { recursive: true });

const cc = process.env.CC || 'cc';
const targets = [
  { name: 'skiff-bridge', args: ['-O2', '-Wall', '-Wextra'] },
  { name: 'skiff-fsops', args: ['-O2', '-Wall', '-Wextra'] },
  // No libc at all: a few-KiB static binary for the embedded hello-world image.
  {
    name: 'hello',
    args: [
      '-Os',
      '-static',
      '-nostdlib',
      '-fno-stack-protector',
      '-fno-asynchronous-unwind-tables',
      '-Wl,--build-id=none',
      '-s',
    ],
  },
];

for (const t of targets) {
  const input = join(src, `${t.name}.c`);
  const output = join(out, t.name);
  if (existsSync(output) && statSync(output).mtimeMs > statSync(input).mtimeMs) continue;
  try {
    execFileSync(cc, [...t.args, '-o', output, input], { stdio: 'inherit' });
  } catch (e) {
    console.error(
      `build-native: cannot compile ${input} with ${cc}: ${e.message}\n` +
        'Install a C compiler (Debian/Ubuntu: sudo apt-get install -y gcc libc6-dev) and run npm run build again.',
    );
    process.exit(1);
  }
}
