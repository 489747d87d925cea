import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { StoreError } from '../../errors/store-error.js';
import type { TransferResult } from '../../events/event-transfer.js';
import type { Registry } from '../../registry/registry.js';
import { CliContext } from '../cli-context.js';
import { rejectServerOption } from '../local-only.js';

/** FILE argument that selects stdout (export) or stdin (import). */
const STANDARD_STREAM = '-';

/**
 * Registers `export-events FILE` and `import-events FILE`: copy the event log of the local store
 * to an NDJSON file, and rebuild an empty store from such a file.
 */
export function registerEventTransferCommands(program: Command, signal: AbortSignal): void {
  program
    .command('export-events')
    .description('write the event log of the local store to FILE as NDJSON (- for stdout)')
    .argument('<file>', 'file to write, replaced when it exists; - writes to stdout')
    .action(async (file: string, _options: unknown, command: Command) => {
      const context = new CliContext(command, signal);
      rejectServerOption(context, command, 'export-events');
      await withRegistry(context, (registry) => exportTo(context, registry, file));
    });

  program
    .command('import-events')
    .description('load an event export into the empty local store and rebuild its views')
    .argument('<file>', 'file written by export-events; - reads stdin')
    .action(async (file: string, _options: unknown, command: Command) => {
      const context = new CliContext(command, signal);
      rejectServerOption(context, command, 'import-events');
      const handle = file === STANDARD_STREAM ? undefined : await openInput(file);
      try {
        const input = handle?.createReadStream({ autoClose: false }) ?? process.stdin;
        await withRegistry(context, (registry) => importFrom(context, registry, input, file));
      } finally {
        await handle?.close();
      }
    });
}

async function withRegistry(
  context: CliContext,
  work: (registry: Registry) => Promise<void>,
): Promise<void> {
  const registry = await context.openRegistry();
  try {
    await work(registry);
  } finally {
    await registry.close();
  }
}

async function exportTo(context: CliContext, registry: Registry, file: string): Promise<void> {
  const { exportEvents } = await import('../../events/event-transfer.js');
  if (file === STANDARD_STREAM) {
    const result = await exportEvents(registry.database, context.printer.stdout);
    // stdout carries the export, so the summary goes to stderr, as text even with --json.
    context.printer.note(summary('exported', result, 'stdout'));
    return;
  }
  const target = resolve(file);
  const result = await writeAtomically(target, (output) => exportEvents(registry.database, output));
  context.printer.result({ file: target, ...result }, () => summary('exported', result, target));
}

async function importFrom(
  context: CliContext,
  registry: Registry,
  input: Readable,
  file: string,
): Promise<void> {
  const { importEvents } = await import('../../events/event-transfer.js');
  const result = await importEvents(registry.database, input);
  const source = file === STANDARD_STREAM ? 'stdin' : resolve(file);
  context.printer.result({ file: source, ...result }, () => summary('imported', result, source));
}

function summary(verb: string, result: TransferResult, where: string): string {
  const direction = verb === 'exported' ? 'to' : 'from';
  return `${verb} ${result.events} events, last sequence ${result.lastSeq}, ${direction} ${where}`;
}

/**
 * Writes through `write` into a temporary file next to `target`, fsyncs it and renames it over
 * `target`. A failed export removes the temporary file and leaves `target` as it was.
 */
async function writeAtomically<T>(
  target: string,
  write: (output: Writable) => Promise<T>,
): Promise<T> {
  const suffix = randomBytes(6).toString('hex');
  const temporary = join(dirname(target), `.${basename(target)}.${suffix}.tmp`);
  const handle = await open(temporary, 'wx').catch((err: unknown) => {
    throw outputError(target, err);
  });
  // The stream owns the handle and closes it once it has flushed everything or failed.
  const output = handle.createWriteStream();
  try {
    const result = await write(output);
    output.end();
    await finished(output);
    await syncFile(temporary);
    await rename(temporary, target);
    return result;
  } catch (err) {
    output.destroy();
    await rm(temporary, { force: true });
    throw err;
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function openInput(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new StoreError(
      'INVALID_ARGUMENT',
      `cannot read the event export ${JSON.stringify(file)} (${reason}); pass a file written by export-events, or - for stdin`,
      { path: file, reason },
      err,
    );
  }
}

function outputError(target: string, err: unknown): StoreError {
  const reason = (err as NodeJS.ErrnoException).code ?? String(err);
  return new StoreError(
    'INVALID_ARGUMENT',
    `cannot write the event export next to ${JSON.stringify(target)} (${reason}); pass a path in a writable directory, or - for stdout`,
    { path: target, reason },
    err,
  );
}
