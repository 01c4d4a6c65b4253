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

/** Where node_api.h is: next to this node binary's prefix, else the system's include dir. */
function nodeIncludeDir() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  const found = candidates.find((d) => existsSync(join(d, 'node_api.h')));
  if (!found) {
    console.error(`build-native: node_api.h not found in ${candidates.join(', ')}`);
    process.exit(1);
  }
  return found;
}
const targets = [
  { name: 'skiff-bridge', args: ['-O2', '-Wall', '-Wextra'] },
  { name: 'skiff-fsops', args: ['-O2', '-Wall', '-Wextra'] },
  // Layer unpacker: inflate (zlib), sha256 (OpenSSL, SHA-NI where the CPU has it), tar, *at() calls.
  { name: 'skiff-untar', args: ['-O2', '-Wall', '-Wextra'], libs: ['-lz', '-lcrypto'] },
  // A Node addon (N-API): descriptor-relative file calls that keep skiffd inside a container's
  // root (openat2 RESOLVE_IN_ROOT, *at() calls). Node's own headers: Debian's nodejs ships them.
  // The host-side supervisor `skiff daemon` execs into once the namespaces exist.
  { name: 'skiff-supervise', args: ['-O2', '-Wall', '-Wextra'] },
  // execve(2) for Node (which has none before Node 23): `skiff daemon` → skiff-supervise.
  {
    name: 'skiff-exec',
    output: 'skiff-exec.node',
    args: [
      '-O2',
      '-Wall',
      '-Wextra',
      '-shared',
      '-fPIC',
      '-DNODE_GYP_MODULE_NAME=skiff_exec',
      `-I${nodeIncludeDir()}`,
    ],
  },
  {
    name: 'skiff-confine',
    output: 'skiff-confine.node',
    args: [
      '-O2',
      '-Wall',
      '-Wextra',
      '-shared',
      '-fPIC',
      '-DNODE_GYP_MODULE_NAME=skiff_confine',
      `-I${nodeIncludeDir()}`,
    ],
  },
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
  const output = join(out, t.output ?? t.name);
  if (existsSync(output) && statSync(output).mtimeMs > statSync(input).mtimeMs) continue;
  try {
    execFileSync(cc, [...t.args, '-o', output, input, ...(t.libs ?? [])], { stdio: 'inherit' });
  } catch (e) {
    console.error(
      `build-native: cannot compile ${input} with ${cc}: ${e.message}\n` +
        'Install a C compiler and the libraries (Debian/Ubuntu: sudo apt-get install -y gcc libc6-dev zlib1g-dev libssl-dev) and run npm run build again.',
    );
    process.exit(1);
  }
}
