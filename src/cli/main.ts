import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { loadDotEnv } from '../config/config.js';
import { StoreError } from '../errors/store-error.js';
import { EXIT_CODES, exitCodeOf, isHelpOrVersion } from './exit-codes.js';
import { Printer } from './printer.js';
import { buildProgram } from './program.js';

// Every fsync of a stored object occupies one libuv pool thread (4 by default), so concurrent
// uploads queue behind four fsyncs. The pool starts on first use, which comes after this line.
process.env.UV_THREADPOOL_SIZE ??= '16';

/** Reads `.env`; an unreadable file is a configuration error like an invalid variable. */
function readDotEnv(): void {
  try {
    loadDotEnv();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError('INVALID_CONFIG', `cannot read .env: ${reason}`, { file: '.env' }, err);
  }
}

/** Builds a printer for the error path, where parsing may have stopped before the options. */
function errorPrinter(program: Command | undefined, argv: readonly string[]): Printer {
  const globals = program?.opts<{ json?: boolean; debug?: boolean }>() ?? {};
  return new Printer({
    json: globals.json === true || argv.includes('--json'),
    debug: globals.debug === true || argv.includes('--debug'),
  });
}

/**
 * Aborts the returned signal on the first SIGINT or SIGTERM, so that the running command stops
 * and cleans up. A second signal exits at once with the cancelled status.
 */
function trapSignals(): { signal: AbortSignal; caught: () => string | undefined } {
  const controller = new AbortController();
  let caught: string | undefined;
  const onSignal = (name: NodeJS.Signals): void => {
    if (caught !== undefined) process.exit(EXIT_CODES.CANCELLED);
    caught = name;
    controller.abort(new StoreError('UPLOAD_ABORTED', `interrupted by ${name}`, { signal: name }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signal: controller.signal, caught: () => caught };
}

/** Runs the CLI with `argv` (the arguments after the script) and returns the exit status. */
async function main(argv: readonly string[]): Promise<number> {
  const { signal, caught } = trapSignals();
  let program: Command | undefined;
  try {
    readDotEnv();
    program = buildProgram(signal);
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODES.OK;
  } catch (err) {
    // Only a command that failed while the signal was caught counts as cancelled.
    const cancelledBy = caught();
    if (!isHelpOrVersion(err)) errorPrinter(program, argv).error(err, cancelledBy);
    return exitCodeOf(err, cancelledBy !== undefined);
  }
}

function flush(stream: Writable): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

// A reader that goes away (`artifactstore cat … | head`) is not an error of the CLI.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

const status = await main(process.argv.slice(2));
await Promise.all([flush(process.stdout), flush(process.stderr)]);
// Exit explicitly: an idle keep-alive socket or database handle must not keep the CLI running.
process.exit(status);
