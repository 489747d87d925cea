import { Command, Option } from 'commander';
import { VERSION } from '../config/version.js';
import { registerCatCommand } from './commands/cat.js';
import { registerEventTransferCommands } from './commands/event-transfer.js';
import { registerFinalizeCommand } from './commands/finalize.js';
import { registerHealthCommand } from './commands/health.js';
import { registerLsCommand } from './commands/ls.js';
import { registerManifestCommand } from './commands/manifest.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerPullCommand } from './commands/pull.js';
import { registerPushCommand } from './commands/push.js';
import { registerReplayCommand } from './commands/replay.js';
import { registerServeCommand } from './commands/serve.js';
import { registerShowCommand } from './commands/show.js';
import { registerStorageCommand } from './commands/storage-copy.js';
import { registerVersionCommand } from './commands/version.js';

/** Adds one command to the program; its actions stop when `signal` is aborted. */
type CommandRegistration = (program: Command, signal: AbortSignal) => void;

const COMMANDS: CommandRegistration[] = [
  registerPushCommand,
  registerPullCommand,
  registerLsCommand,
  registerShowCommand,
  registerFinalizeCommand,
  registerManifestCommand,
  registerCatCommand,
  registerHealthCommand,
  registerServeCommand,
  registerMigrateCommand,
  registerReplayCommand,
  registerStorageCommand,
  registerEventTransferCommands,
  registerVersionCommand,
];

/**
 * Builds the `artifactstore` command line. Commander never exits the process nor prints errors
 * itself: every failure is thrown to the entry point, which prints it and picks the exit status.
 */
export function buildProgram(signal: AbortSignal): Command {
  const program = new Command('artifactstore')
    .description('Content-addressed artifact store: push, pull and inspect packages')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print results, and errors on stderr, as JSON')
    .option('--debug', 'print diagnostics and stack traces on stderr')
    .addOption(
      new Option('--server <url>', 'use the server at this URL instead of the local store').env(
        'ARTIFACTSTORE_SERVER_URL',
      ),
    )
    .option('--actor <name>', 'who is recorded as making changes (default: the OS user name)')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError();
  // Subcommands copy exitOverride and configureOutput when they are added, so these come first.
  for (const register of COMMANDS) register(program, signal);
  return program;
}
