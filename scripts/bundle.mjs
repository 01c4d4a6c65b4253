// Bundles skiffd into one CommonJS file (dist/skiffd/main.bundle.cjs): Node then reads one file
// instead of linking ~250 modules, which took ~150 ms off every daemon start, and
// dist/skiffd/start-bundle.js can run it as a vm.Script with V8's code cache (a script, not an
// ES module, is what takes a code cache on Node 20). The bundle sits beside main.js, at the same
// depth under dist/, so the paths modules compute from import.meta.url (native addons,
// package.json) are the same: import.meta.url becomes the bundle's own file URL. "use strict"
// keeps the semantics the ES modules had. Packages a module loads through createRequire
// resolve from node_modules as before.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { rmSync } from 'node:fs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
// The ES module bundle of earlier builds, no longer used.
rmSync(join(root, 'dist/skiffd/main.bundle.mjs'), { force: true });
const result = await build({
  entryPoints: [join(root, 'dist/skiffd/main.js')],
  outfile: join(root, 'dist/skiffd/main.bundle.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  define: { 'import.meta.url': '__skiffImportMetaUrl' },
  banner: {
    js: '"use strict";\nconst __skiffImportMetaUrl = require("node:url").pathToFileURL(__filename).href;',
  },
  metafile: true,
});
// A dynamic import() left in the bundle would fail under vm.Script (no module loader there).
const out = Object.values(result.metafile.outputs)[0];
if (out?.imports.some((i) => i.kind === 'dynamic-import'))
  throw new Error('bundle.mjs: the skiffd bundle has a dynamic import() left; bundle it instead');

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
