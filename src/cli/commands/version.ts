import type { Command } from 'commander';
import { VERSION } from '../../config/version.js';
import { CliContext } from '../cli-context.js';

/** Registers `version`: the version of this build and of Node.js. */
export function registerVersionCommand(program: Command, signal: AbortSignal): void {
  program
    .command('version')
    .description('print the version of artifactstore and of Node.js')
    .action((_options: unknown, command: Command) => {
      const { printer } = new CliContext(command, signal);
      const value = { name: 'artifactstore', version: VERSION, node: process.version };
      printer.result(value, () => `artifactstore ${VERSION} (Node.js ${process.version})`);
    });
}
