// Bundles skiffd into one ESM file (dist/skiffd/main.bundle.mjs): Node then reads and links one
// module instead of ~250, which takes ~150 ms off every daemon start. The bundle sits beside
// main.js, at the same depth under dist/, so the paths modules compute from import.meta.url
// (native addons, package.json) are the same. Packages load through a require made for it.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'dist/skiffd/main.js')],
  outfile: join(root, 'dist/skiffd/main.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);",
  },
});

// The `skiff` command's program (dist/cli/run-cli.js and what it imports) into one ES module
// beside it, which dist/cli/main.js loads when present: `skiff daemon` then reads one file
// instead of ~145. Each command's module is evaluated only when that command runs.
await build({
  entryPoints: [join(root, 'dist/cli/run-cli.js')],
  outfile: join(root, 'dist/cli/run-cli.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);",
  },
});
