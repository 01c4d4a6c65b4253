/**
 * `skiff setup check|install|uninstall [--force]`, the equivalent of
 * dockerd-rootless-setuptool.sh: check the prerequisites with the fix for this distribution,
 * install a systemd user unit (where `systemctl --user` works) and the docker CLI context
 * `rootless`, or remove both while keeping the data.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { socketIsLive } from '../api/listeners.js';
import { spawnCollect } from '../proc/run.js';
import { worstStatus } from '../rootless/preflight/check-result.js';
import { realSystemFacts } from '../rootless/preflight/system-facts.js';
import { setupChecks } from '../rootless/preflight/setup-checks.js';
import { networkChecks } from '../rootless/preflight/network-checks.js';
import { settingsFromEnv } from '../rootless/rootlesskit/launcher-args.js';
import { createContext, removeContext } from '../rootless/setup/docker-context.js';
import { systemdUnit } from '../rootless/setup/systemd-unit.js';
import { defaultPaths } from '../skiffd/config/default-paths.js';
import { messageOf } from '../errors.js';
import { formatChecks } from './print-checks.js';

const cliPath = fileURLToPath(new URL('./main.js', import.meta.url));
const UNIT = 'skiff.service';
const info = (s: string): void => {
  process.stdout.write(`[INFO] ${s}\n`);
};

export async function setupCommand(action: string, o: { force: boolean }): Promise<number> {
  const sys = await realSystemFacts();
  try {
    const checks = await setupChecks(sys, settingsFromEnv(process.env));
    if (action === 'check') {
      // What containers may do on the network: warnings, never a reason to refuse setup.
      checks.push(...(await networkChecks(sys)));
      process.stdout.write(`${formatChecks(checks)}\n`);
      const worst = worstStatus(checks);
      process.stdout.write(
        worst === 'fail'
          ? '\nSome prerequisites are missing: run the fix commands above (as an admin where they say sudo).\n'
          : '\nReady: start the daemon with "skiff daemon" or install it with "skiff setup install".\n',
      );
      return worst === 'fail' ? 1 : 0;
    }
    const paths = defaultPaths(process.env, sys.user.home);
    const socket = paths.socketPath;
    const docker = sys.findBinary('docker');
    const ctx = {
      home: sys.user.home,
      ...(process.env['DOCKER_CONFIG'] ? { dockerConfigDir: process.env['DOCKER_CONFIG'] } : {}),
      ...(docker ? { docker } : {}),
      host: `unix://${socket}`,
    };
    const unitPath = join(
      process.env['XDG_CONFIG_HOME'] || join(sys.user.home, '.config'),
      'systemd',
      'user',
      UNIT,
    );
    const systemctl = sys.findBinary('systemctl');
    const systemdUser = systemctl
      ? (await spawnCollect(systemctl, ['--user', 'show-environment'])).code === 0
      : false;
    if (action === 'install') {
      const failed = checks.filter((c) => c.status === 'fail');
      if (failed.length > 0) {
        process.stderr.write(
          `[ERROR] Missing system requirements. Run the following commands to fix them, then run this again:\n${formatChecks(failed)}\n`,
        );
        return 1;
      }
      if (!o.force && (await socketIsLive('/var/run/docker.sock'))) {
        process.stderr.write(
          '[ERROR] Aborting because rootful Docker (/var/run/docker.sock) is running and accessible. Set --force to ignore.\n',
        );
        return 1;
      }
      if (systemdUser && systemctl) {
        info(`Creating ${unitPath}`);
        await mkdir(join(unitPath, '..'), { recursive: true });
        await writeFile(
          unitPath,
          systemdUnit({
            node: process.execPath,
            cli: cliPath,
            path: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
          }),
        );
        await spawnCollect(systemctl, ['--user', 'daemon-reload']);
        const r = await spawnCollect(systemctl, ['--user', 'enable', '--now', UNIT]);
        if (r.code !== 0)
          process.stderr.write(
            `[WARNING] systemctl --user enable --now ${UNIT}: ${r.stderr.trim()}\n`,
          );
        else info(`Installed ${UNIT} successfully.`);
        info(`To control ${UNIT}, run: \`systemctl --user (start|stop|restart) ${UNIT}\``);
        info(
          `To run ${UNIT} on system startup, run: \`sudo loginctl enable-linger ${sys.user.name}\``,
        );
      } else {
        info(
          'systemd not detected (systemctl --user does not work here): skiff daemon needs to be started manually:',
        );
        process.stdout.write(`\n${process.execPath} ${cliPath} daemon\n\n`);
        info(
          'Run it in the background with: nohup skiff daemon > "$XDG_RUNTIME_DIR/skiff.log" 2>&1 &',
        );
      }
      info(`Creating CLI context "rootless"`);
      for (const line of await createContext(ctx)) process.stdout.write(`${line}\n`);
      info('Some applications may require the following environment variable too:');
      process.stdout.write(`export DOCKER_HOST=unix://${socket}\n`);
      return 0;
    }
    if (action === 'uninstall') {
      if (systemdUser && systemctl) {
        await spawnCollect(systemctl, ['--user', 'disable', '--now', UNIT]);
        await rm(unitPath, { force: true });
        await spawnCollect(systemctl, ['--user', 'daemon-reload']);
        info(`Uninstalled ${UNIT}`);
      } else {
        await rm(unitPath, { force: true });
        info(
          'systemd not detected: stop a running "skiff daemon" yourself (Ctrl-C or kill $(pidof skiff))',
        );
      }
      for (const line of await removeContext(ctx)) process.stdout.write(`${line}\n`);
      info('This uninstallation tool does NOT remove skiff binaries and data.');
      info(
        `To remove data, run: \`skiff nsenter rm -rf ${paths.dataRoot}\` while the daemon runs, or \`rootlesskit rm -rf ${paths.dataRoot}\` (files owned by subordinate ids need a user namespace)`,
      );
      return 0;
    }
    process.stderr.write(`skiff setup: unknown action "${action}" (check, install or uninstall)\n`);
    return 2;
  } catch (e) {
    process.stderr.write(`skiff setup ${action}: ${messageOf(e)}\n`);
    return 1;
  }
}
