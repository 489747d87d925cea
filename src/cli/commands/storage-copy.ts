import type { Command } from 'commander';
import { StoreError } from '../../errors/store-error.js';
import type { CopyReport } from '../../registry/storage-copy.js';
import { CliContext } from '../cli-context.js';
import { CopyProgress } from '../copy-progress.js';
import { formatBytes, formatSeconds } from '../format.js';
import { rejectServerOption } from '../local-only.js';
import { parseConcurrency } from '../option-values.js';

interface CopyOptions {
  to: string;
  concurrency: string;
  progress: boolean;
}

/** Error codes of a copy that failed because the bytes did not match their digest or size. */
const INTEGRITY_CODES: ReadonlySet<string> = new Set([
  'DIGEST_MISMATCH',
  'SIZE_MISMATCH',
  'INTEGRITY_ERROR',
]);

/**
 * Registers `storage copy --to NAME`: copy every object of the embedded store that backend NAME
 * lacks into it, verifying each digest, and record the copies in the event log.
 */
export function registerStorageCommand(program: Command, signal: AbortSignal): void {
  const storage = program
    .command('storage')
    .description('administer the storage backends of the local store');
  storage
    .command('copy')
    .description('copy every object that backend NAME lacks into it, verifying each digest')
    .requiredOption('--to <name>', 'backend to copy into, one of ARTIFACTSTORE_STORAGE_BACKENDS')
    .option('--concurrency <n>', 'objects copied at once, from 1 to 64', '4')
    .option('--no-progress', 'print no progress on stderr')
    .action(async (options: CopyOptions, command: Command) => {
      await copy(new CliContext(command, signal), command, options);
    });
}

async function copy(context: CliContext, command: Command, options: CopyOptions): Promise<void> {
  rejectServerOption(context, command, 'storage copy');
  const concurrency = parseConcurrency(options.concurrency);
  const started = Date.now();
  const registry = await context.openRegistry();
  const progress = new CopyProgress(context.printer, options.progress);
  let report: CopyReport;
  try {
    report = await registry.copyObjects({
      to: options.to,
      actor: context.actor,
      concurrency,
      signal: context.signal,
      onProgress: (latest) => progress.update(latest),
    });
  } finally {
    progress.stop();
    await registry.close();
  }
  printReport(context, options.to, report, Date.now() - started);
  if (report.failed.length > 0) throw copyFailed(context, options.to, report);
}

function printReport(context: CliContext, to: string, report: CopyReport, elapsed: number): void {
  const value = { to, ...report };
  context.printer.result(value, () => [
    `copied ${report.copied} of ${report.total} objects (${formatBytes(report.bytes)}) to ${to} in ${formatSeconds(elapsed)}`,
    ...(report.failed.length > 0 ? [`failed  ${report.failed.length}`] : []),
  ]);
}

/**
 * Lists each failed object on stderr and returns the error that ends the command: INTEGRITY_ERROR
 * (exit 4) when every failure was a digest or size mismatch, else STORAGE_ERROR (exit 1).
 */
function copyFailed(context: CliContext, to: string, report: CopyReport): StoreError {
  for (const failure of report.failed) {
    context.printer.warn(`copy of ${failure.digest} failed: ${failure.error}`);
  }
  const integrity = report.failed.every((failure) => INTEGRITY_CODES.has(failure.code));
  return new StoreError(
    integrity ? 'INTEGRITY_ERROR' : 'STORAGE_ERROR',
    `${report.failed.length} of ${report.total} objects were not copied to ${to}; fix the cause shown for each and run storage copy again, which copies only the objects still missing`,
    { to, failed: report.failed },
  );
}
