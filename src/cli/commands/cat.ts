import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { FileDownload } from '../../client/store-client.js';
import { StoreError } from '../../errors/store-error.js';
import { ContentHasher } from '../../identity/hasher.js';
import { CliContext } from '../cli-context.js';

/** Tells whether writing failed because the reader of stdout went away, as in `cat … | head`. */
function isBrokenPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/**
 * Registers `cat PACKAGE PATH`: the bytes of one file streamed to stdout. The bytes are hashed
 * on the way; a mismatch is reported after the last byte, since the output cannot be taken back.
 */
export function registerCatCommand(program: Command, signal: AbortSignal): void {
  program
    .command('cat')
    .description('write the bytes of one file of a package to stdout')
    .argument('<package>', 'package id')
    .argument('<path>', 'path of the file inside the package')
    .action(async (packageId: string, path: string, _options: unknown, command: Command) => {
      const context = new CliContext(command, signal);
      const client = await context.openClient();
      try {
        await catFile(context, await client.openFile(packageId, path, signal), { packageId, path });
      } catch (err) {
        if (!isBrokenPipe(err)) throw err;
      } finally {
        await client.close();
      }
    });
}

async function catFile(
  context: CliContext,
  download: FileDownload,
  file: { packageId: string; path: string },
): Promise<void> {
  const hasher = new ContentHasher();
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(download.stream, meter, context.printer.stdout, { signal: context.signal });
  const actual = hasher.digest();
  if (actual === download.digest && hasher.size === download.size) return;
  throw new StoreError(
    'INTEGRITY_ERROR',
    `file ${JSON.stringify(file.path)} of package ${file.packageId} failed verification after it was written to stdout: expected ${download.digest} (${download.size} bytes), got ${actual} (${hasher.size} bytes); the stored copy is corrupted`,
    { ...file, expected: download.digest, actual },
  );
}
