/**
 * skiffd's entry point when built: runs the one-file bundle of skiffd (dist/skiffd/main.bundle.cjs,
 * made by scripts/bundle.mjs) with V8's code cache, so that a start does not compile again what
 * the previous start compiled (issue 12: loading the bundle was the largest part of skiffd's
 * start). Node 20 has no module.enableCompileCache(); `vm.Script` with `cachedData` is the
 * supported way, and it needs a script, hence a CommonJS bundle.
 *
 *   node start-bundle.js [--code-cache=DIR] [dockerd flags...]
 *
 * The cache file is named after the SHA-256 of the bundle: V8 itself checks only its own
 * version, its flags and the source's length, so a rebuilt bundle must never meet an old cache.
 * V8 rejects a cache made by another Node or with other flags; then, and when there is none, a
 * new one is written a few seconds after the start, when the start's functions are compiled (or
 * at exit, if that comes first).
 * A cache that cannot be read or written costs only the compile. Imports only Node built-ins.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const CACHE_FLAG = '--code-cache=';
/** Long enough for the start and its first requests to be compiled; the write is not waited for. */
const WRITE_CACHE_AFTER_MS = 3000;

type CommonJsWrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

const bundle = fileURLToPath(new URL('./main.bundle.cjs', import.meta.url));
const args = process.argv.slice(2);
const cacheDir = args[0]?.startsWith(CACHE_FLAG) ? args.shift()?.slice(CACHE_FLAG.length) : '';
// skiffd reads its flags from process.argv.slice(2), as when started directly.
process.argv.splice(1, process.argv.length - 1, bundle, ...args);

const source = readFileSync(bundle, 'utf8');
const cacheFile = cacheDir
  ? join(cacheDir, `skiffd-${createHash('sha256').update(source).digest('hex').slice(0, 32)}.v8`)
  : undefined;
const cached = cacheFile ? readOrUndefined(cacheFile) : undefined;
// A hashbang line is valid only at the start of a file: keep the line, as a comment.
const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
const script = new Script(
  `(function (exports, require, module, __filename, __dirname) {${body}\n})`,
  {
    filename: bundle,
    ...(cached ? { cachedData: cached } : {}),
  },
);
if (cacheFile && (cached === undefined || script.cachedDataRejected === true)) {
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    writeCache(cacheFile, script);
  };
  setTimeout(write, WRITE_CACHE_AFTER_MS).unref();
  // A skiffd stopped sooner leaves its cache on the way out (writeFileSync: 'exit' is synchronous).
  process.once('exit', write);
}
const run = script.runInThisContext() as CommonJsWrapper;
const mod = { exports: {} };
run(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Atomically, replacing the caches of earlier bundles. */
function writeCache(file: string, s: Script): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${String(process.pid)}.tmp`;
    writeFileSync(tmp, s.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
    for (const n of readdirSync(dir))
      if (n.startsWith('skiffd-') && join(dir, n) !== file) rmSync(join(dir, n), { force: true });
  } catch {
    // no cache this time: the next start compiles
  }
}
