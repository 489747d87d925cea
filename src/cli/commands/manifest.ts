import type { Command } from 'commander';
import { CliContext } from '../cli-context.js';
import { parseManifestFormat } from '../option-values.js';

/** Registers `manifest PACKAGE`: the manifest bytes of a finalized package on stdout. */
export function registerManifestCommand(program: Command, signal: AbortSignal): void {
  program
    .command('manifest')
    .description('print the manifest of a finalized package')
    .argument('<package>', 'package id')
    .option(
      '--format <format>',
      'json (rendered, keys sorted) or cbor (the stored bytes the manifest address hashes)',
      'json',
    )
    .action(async (packageId: string, options: { format: string }, command: Command) => {
      const context = new CliContext(command, signal);
      const format = parseManifestFormat(options.format);
      const client = await context.openClient();
      try {
        const manifest = await client.getManifest(packageId, format);
        context.printer.debug(`manifest address ${manifest.digest}`);
        // Both encodings are printed as they are: the JSON rendering is already JSON.
        context.printer.stdout.write(manifest.bytes);
      } finally {
        await client.close();
      }
    });
}
