import type { Command } from 'commander';
import { CliContext } from '../cli-context.js';
import type { PullOptions } from '../pull-package.js';

/** Registers `pull PACKAGE DIR`: download and verify every file of a package into a directory. */
export function registerPullCommand(program: Command, signal: AbortSignal): void {
  program
    .command('pull')
    .description('download every file of a package into DIR, verifying each digest')
    .argument('<package>', 'package id')
    .argument('<dir>', 'target directory, created when missing')
    .option('--concurrency <n>', 'files downloaded at once, from 1 to 64', '16')
    .option('--force', 'overwrite existing files whose content differs')
    .option('--no-progress', 'print no progress on stderr')
    .action(async (packageId: string, dir: string, options: PullOptions, command: Command) => {
      const context = new CliContext(command, signal);
      // Imported on use, so that other commands do not load the transfer code.
      const { pullPackage } = await import('../pull-package.js');
      await pullPackage(context, packageId, dir, options);
    });
}
