import type { Command } from 'commander';
import { CliContext } from '../cli-context.js';

/**
 * Registers `finalize PACKAGE`: freezes an open package, stores its manifest and prints the
 * manifest address.
 */
export function registerFinalizeCommand(program: Command, signal: AbortSignal): void {
  program
    .command('finalize')
    .description('freeze an open package, store its manifest and print the manifest address')
    .argument('<package>', 'package id')
    .action(async (packageId: string, _options: unknown, command: Command) => {
      const context = new CliContext(command, signal);
      const client = await context.openClient();
      try {
        const result = await client.finalize(packageId);
        context.printer.result(
          { package: result.package, manifestDigest: result.manifestDigest },
          () => result.manifestDigest,
        );
      } finally {
        await client.close();
      }
    });
}
