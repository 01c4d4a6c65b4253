/**
 * The `skiff` command: parse, call, print, exit code. Each command's module loads when that
 * command runs: `skiff daemon`, which every start pays for, loads only its own.
 */
import { Command } from 'commander';
import { mark } from '../start-marks.js';

export async function runCli(argv: readonly string[]): Promise<void> {
  mark('cli-loaded');
  const program = new Command();
  program
    .name('skiff')
    .description('A rootless, Docker-compatible container engine')
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command('daemon')
    .description(
      'run the rootless daemon in the foreground (rootlesskit + skiffd on $XDG_RUNTIME_DIR/docker.sock)',
    )
    .allowUnknownOption(true)
    .passThroughOptions()
    .helpOption(false)
    .argument(
      '[flags...]',
      'dockerd-style flags: --data-root, --exec-root, --config-file, -H, --log-level, --debug, --storage-driver, ...',
    )
    .action(async (flags: string[]) => {
      const { daemonCommand } = await import('./daemon-command.js');
      process.exitCode = await daemonCommand(flags);
    });

  program
    .command('nsenter')
    .description(
      "run a shell (or a command) inside the daemon's user, mount and network namespaces",
    )
    .argument('[cmd...]', 'command to run (default: $SHELL)')
    .passThroughOptions()
    .action(async (cmd: string[]) => {
      const { nsenterCommand } = await import('./nsenter-command.js');
      process.exitCode = await nsenterCommand(cmd);
    });

  program
    .command('setup')
    .description(
      'check the prerequisites, or install/uninstall the systemd user unit and the docker context "rootless"',
    )
    .argument('<action>', 'check | install | uninstall')
    .option('--force', 'install even when a rootful Docker daemon is running')
    .action(async (action: string, opts: { force?: boolean }) => {
      const { setupCommand } = await import('./setup-command.js');
      process.exitCode = await setupCommand(action, { force: opts.force === true });
    });

  program
    .command('doctor')
    .description(
      'the rootless troubleshooting checklist, done by the machine (non-zero exit when something fails)',
    )
    .action(async () => {
      const { doctorCommand } = await import('./doctor-command.js');
      process.exitCode = await doctorCommand();
    });

  await program.parseAsync(argv);
}
