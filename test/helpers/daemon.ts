/**
 * Starts a real `skiff daemon` for a test, as the current (unprivileged) user, with its own
 * XDG_RUNTIME_DIR, HOME and data root under a temp dir, so tests never share state.
 */
import { mkdtemp, mkdir, writeFile, readFile, rm, chmod } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { skiffCli } from './paths.js';
import { exec } from './exec.js';

export interface TestDaemon {
  readonly dir: string;
  readonly home: string;
  readonly runtimeDir: string;
  readonly socket: string;
  readonly dataRoot: string;
  readonly logPath: string;
  /** Environment for clients (docker CLI, dockerode): DOCKER_HOST, HOME, XDG_RUNTIME_DIR. */
  readonly env: NodeJS.ProcessEnv;
  readonly process: ChildProcess;
  skiffdPid(): Promise<number>;
  holderPid(): Promise<number>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Stops (if running) and removes every file, including those owned by subordinate ids. */
  cleanup(): Promise<void>;
  log(): Promise<string>;
}

export interface StartOptions {
  /** daemon.json content, written to $HOME/.config/skiff/daemon.json. */
  readonly config?: Record<string, unknown>;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Reuse a directory from an earlier daemon (restart tests). */
  readonly dir?: string;
  readonly timeoutMs?: number;
  /** Don't wait for the socket (for tests that expect the daemon to refuse). */
  readonly noWait?: boolean;
}

export async function startDaemon(o: StartOptions = {}): Promise<TestDaemon> {
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'skiff-e2e-')));
  const home = join(dir, 'home');
  const runtimeDir = join(dir, 'run');
  await mkdir(home, { recursive: true });
  await mkdir(runtimeDir, { recursive: true });
  await chmod(runtimeDir, 0o700);
  if (o.config) {
    await mkdir(join(home, '.config', 'skiff'), { recursive: true });
    await writeFile(
      join(home, '.config', 'skiff', 'daemon.json'),
      JSON.stringify(o.config, null, 2),
    );
  }
  const socket = join(runtimeDir, 'docker.sock');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: runtimeDir,
    DOCKER_HOST: `unix://${socket}`,
    ...(process.env['SKIFF_TEST_REGISTRY']
      ? { SKIFF_TEST_REGISTRY: process.env['SKIFF_TEST_REGISTRY'] }
      : {}),
    ...o.env,
  };
  const logPath = join(dir, `daemon-${Date.now()}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [skiffCli, 'daemon', ...(o.args ?? [])], {
    env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const d: TestDaemon = {
    dir,
    home,
    runtimeDir,
    socket,
    dataRoot: join(home, '.local', 'share', 'skiff'),
    logPath,
    env,
    process: child,
    skiffdPid: async () =>
      Number((await readFile(join(runtimeDir, 'skiff', 'skiffd.pid'), 'utf8')).trim()),
    holderPid: async () =>
      Number(
        (await readFile(join(runtimeDir, 'skiff', 'rootlesskit', 'child_pid'), 'utf8')).trim(),
      ),
    stop: async () => {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    cleanup: async () => {
      await d.stop();
      await removeTree(dir);
    },
    log: () => readFile(logPath, 'utf8'),
  };
  if (o.noWait) return d;
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`skiff daemon exited with ${exitCode}:\n${await d.log()}`);
    if (await ping(socket)) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  await d.stop();
  throw new Error(`skiff daemon did not answer on ${socket}:\n${await d.log()}`);
}

export function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Removes a directory that may hold files owned by subordinate ids (written by container root):
 * the user cannot delete those directly, so the removal runs in a fresh user namespace with the
 * same mapping (rootlesskit), where they are ours.
 */
export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  const left = await exec('test', ['-e', dir]);
  if (left.code !== 0) return;
  await exec('rootlesskit', ['--net=host', 'rm', '-rf', dir], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
  });
}
