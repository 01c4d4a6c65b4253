/**
 * `skiff nsenter [cmd...]`: a shell (or cmd) inside the namespaces skiff's containers live in —
 * the holder's user, mount and network namespaces (Docker's equivalent:
 * `nsenter -U --preserve-credentials -n -m -t $(cat $XDG_RUNTIME_DIR/docker.pid)`).
 */
import { join } from 'node:path';
import { spawnChild } from '../proc/run.js';
import { findBinary } from '../proc/find-binary.js';
import { defaultPaths } from '../skiffd/config/default-paths.js';
import { loadDaemonConfig } from '../skiffd/config/load-config.js';
import { findLiveHolder } from '../rootless/rootlesskit/holder.js';
import { homedir } from 'node:os';
import { messageOf } from '../errors.js';

export async function nsenterCommand(cmd: readonly string[]): Promise<number> {
  let execRoot: string;
  try {
    execRoot = (await loadDaemonConfig(defaultPaths(process.env, process.env['HOME'] ?? homedir())))
      .config.execRoot;
  } catch (e) {
    process.stderr.write(`skiff nsenter: ${messageOf(e)}\n`);
    return 1;
  }
  const holder = await findLiveHolder(join(execRoot, 'rootlesskit'));
  if (holder === undefined) {
    process.stderr.write(
      'skiff nsenter: no running skiff namespaces found; start them with "skiff daemon"\n',
    );
    return 1;
  }
  const nsenter = findBinary('nsenter', process.env['PATH']);
  if (!nsenter) {
    process.stderr.write('skiff nsenter: nsenter not found (install util-linux)\n');
    return 1;
  }
  const argv = cmd.length > 0 ? [...cmd] : [process.env['SHELL'] ?? '/bin/sh'];
  const child = spawnChild(
    nsenter,
    ['-U', '--preserve-credentials', '-m', '-n', '-t', String(holder), '--', ...argv],
    {
      stdio: 'inherit',
    },
  );
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`skiff nsenter: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}
