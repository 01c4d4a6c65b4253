/**
 * `skiff daemon`: checks the prerequisites, refuses to run as root or twice, then hands over to
 * the supervisor (rootless/supervisor.ts), which owns rootlesskit, the holder and skiffd.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { access, constants } from 'node:fs/promises';
import { createLogger } from '../log.js';
import { socketIsLive } from '../api/listeners.js';
import { parseDaemonFlags } from '../skiffd/config/daemon-flags.js';
import { defaultPaths } from '../skiffd/config/default-paths.js';
import { loadDaemonConfig } from '../skiffd/config/load-config.js';
import { realSystemFacts } from '../rootless/preflight/system-facts.js';
import { daemonPrerequisites, checkBinary } from '../rootless/preflight/prerequisites.js';
import { fail, type CheckResult } from '../rootless/preflight/check-result.js';
import { netDriverBinary, settingsFromEnv } from '../rootless/rootlesskit/launcher-args.js';
import { holderCommand, isAlive } from '../rootless/rootlesskit/holder.js';
import { Supervisor } from '../rootless/supervisor.js';
import { formatChecks } from './print-checks.js';
import { messageOf } from '../errors.js';
import { mark } from '../start-marks.js';

/**
 * skiffd bundled into one file by `npm run build` (scripts/bundle.mjs) starts faster, through
 * start-bundle.js with V8's code cache in the exec root; main.js otherwise.
 */
function skiffdEntry(execRoot: string): string[] {
  const bundle = fileURLToPath(new URL('../skiffd/main.bundle.cjs', import.meta.url));
  return existsSync(bundle)
    ? [
        fileURLToPath(new URL('../skiffd/start-bundle.js', import.meta.url)),
        `--code-cache=${join(execRoot, 'code-cache')}`,
      ]
    : [fileURLToPath(new URL('../skiffd/main.js', import.meta.url))];
}

/**
 * Node flags for skiffd; a flag the user gave wins.
 * - V8's young generation at 1 MiB instead of 16: skiffd's allocations are short-lived request
 *   and stream buffers, and the smaller nursery costs no measurable time (a cold 2,000-file
 *   build: 3.9 s either way) while the daemon stays 7-19 MiB smaller (idle: 64 against 71 MiB;
 *   after that build: 91 against 110).
 * - `--expose-gc`: skiffd/memory-release.ts runs one full GC when a burst of requests is over,
 *   before giving glibc's free pages back; with 10 containers after 3 pulls skiffd was 66.7 MiB
 *   against 71.6 without the GC and 75.8 without either (bench/memory.ts, interleaved).
 */
function skiffdNodeFlags(execArgv: readonly string[]): string[] {
  const flags = [...execArgv];
  if (!flags.some((a) => a.startsWith('--max-semi-space-size')))
    flags.push('--max-semi-space-size=1');
  if (!flags.includes('--expose-gc')) flags.push('--expose-gc');
  return flags;
}
const cliMain = fileURLToPath(new URL('./main.js', import.meta.url));

export async function daemonCommand(argv: readonly string[]): Promise<number> {
  const sys = await realSystemFacts();
  let settings;
  let loaded;
  try {
    parseDaemonFlags(argv);
    // $HOME first, as skiffd (skiffd/config/environment.ts): both must read the same daemon.json.
    loaded = await loadDaemonConfig(
      defaultPaths(process.env, process.env['HOME'] ?? sys.user.home),
      parseDaemonFlags(argv).patch,
    );
    settings = settingsFromEnv(process.env, {
      allowHostLoopback: loaded.config.allowHostLoopback,
    });
  } catch (e) {
    process.stderr.write(`skiff daemon: ${messageOf(e)}\n`);
    return 1;
  }
  mark('config');
  const checks: CheckResult[] = await daemonPrerequisites(sys);
  const netBin = netDriverBinary(settings.net);
  if (netBin)
    checks.push(
      checkBinary(sys, `net-${netBin}`, netBin, netBin, `network driver ${settings.net}`),
    );
  if (settings.net === 'slirp4netns' || settings.net === 'pasta') checks.push(await tunCheck());
  const all = checks.filter((c) => c.status === 'fail');
  // As real root, every other fix (subuids for root, /run/user/0) would point the wrong way.
  const rootFailure = all.filter((c) => c.id === 'not-root');
  const failed = rootFailure.length > 0 ? rootFailure : all;
  if (failed.length > 0) {
    process.stderr.write(
      `skiff daemon: cannot start, a prerequisite is missing:\n${formatChecks(failed)}\n(run "skiff setup check" for the full list)\n`,
    );
    return 1;
  }

  mark('preflight');
  const { config } = loaded;
  const pidFile = join(config.execRoot, 'skiffd.pid');
  const running = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(running) && running > 0 && isAlive(running) && (await isSkiffd(running))) {
    process.stderr.write(
      `skiff daemon: already running (skiffd pid ${running}, from ${pidFile}); stop it first\n`,
    );
    return 1;
  }
  for (const h of config.hosts) {
    if (!h.startsWith('unix://')) continue;
    const path = h.slice('unix://'.length);
    if (await socketIsLive(path)) {
      process.stderr.write(
        `skiff daemon: another daemon is already serving ${path}; stop it first, or pass -H to listen elsewhere\n`,
      );
      return 1;
    }
  }

  mark('not-running');
  // Synchronous: the supervisor becomes skiff-supervise by execve(), which drops queued writes.
  const log = createLogger(config.logLevel, { sync: true }).child({ component: 'supervisor' });
  const supervisor = new Supervisor({
    execRoot: config.execRoot,
    rootlesskit: sys.findBinary('rootlesskit') ?? 'rootlesskit',
    nsenter: sys.findBinary('nsenter') ?? 'nsenter',
    settings,
    holderCommand: holderCommand((n) => sys.findBinary(n)),
    skiffdCommand: [
      process.execPath,
      ...skiffdNodeFlags(process.execArgv),
      ...skiffdEntry(config.execRoot),
      ...argv,
    ],
    reexecCommand: [process.execPath, ...process.execArgv, cliMain, 'daemon', ...argv],
    env: process.env,
    liveRestore: config.liveRestore,
    quiet: !['debug', 'trace', 'info'].includes(config.logLevel),
    log,
  });
  process.on('SIGTERM', () => {
    supervisor.stop();
  });
  process.on('SIGINT', () => {
    supervisor.stop();
  });
  try {
    return await supervisor.run();
  } catch (e) {
    process.stderr.write(`skiff daemon: ${messageOf(e)}\n`);
    return 1;
  }
}

async function tunCheck(): Promise<CheckResult> {
  try {
    await access('/dev/net/tun', constants.R_OK | constants.W_OK);
    return {
      id: 'dev-net-tun',
      title: '/dev/net/tun usable',
      status: 'ok',
      detail: '/dev/net/tun',
    };
  } catch {
    return fail(
      'dev-net-tun',
      '/dev/net/tun usable by you (slirp4netns needs it)',
      '/dev/net/tun is not read-writable for your user (no udev rule made it 0666)',
      ['sudo chmod 666 /dev/net/tun'],
    );
  }
}

async function isSkiffd(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes('skiffd');
}
