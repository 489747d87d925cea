import type { Command } from 'commander';
import { CliContext } from '../cli-context.js';
import type { PushOptions } from '../push-directory.js';

/** Registers `push DIR`: create a package from a directory, upload its files, finalize it. */
export function registerPushCommand(program: Command, signal: AbortSignal): void {
  program
    .command('push')
    .description('create a package from the regular files under DIR, upload them and finalize it')
    .argument('<dir>', 'directory whose files become the package, with paths relative to it')
    .requiredOption('--name <name>', 'package name')
    .requiredOption('--producer <producer>', 'system or team that produced the files')
    .requiredOption('--subject <subject>', 'what the files are about, such as a commit or a build')
    .option('--retention-class <class>', 'retention class of the package (default: standard)')
    .option('--metadata <json>', 'package metadata: a JSON object')
    .option('--concurrency <n>', 'files uploaded at once, from 1 to 64', '16')
    .option('--resume <package-id>', 'continue a failed push into this open package')
    .option('--skip-special', 'leave out symbolic links and other non-regular files with a warning')
    .option('--no-progress', 'print no progress on stderr')
    .action(async (dir: string, options: PushOptions, command: Command) => {
      const context = new CliContext(command, signal);
      // Imported on use, so that other commands do not load the transfer code.
      const { pushDirectory } = await import('../push-directory.js');
      await pushDirectory(context, dir, options);
    });
}
