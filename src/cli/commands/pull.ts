import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { listAllFiles, type StoreClient } from '../../client/store-client.js';
import { CliContext } from '../cli-context.js';
import { downloadFile, type PlannedDownload } from '../download-file.js';
import { formatBytes, formatSeconds } from '../format.js';
import { parseConcurrency } from '../option-values.js';
import { planPull } from '../plan-pull.js';
import { TransferProgress } from '../progress.js';
import { PoolItemError, runPool } from '../run-pool.js';

interface PullOptions {
  concurrency: string;
  force?: boolean;
  progress: boolean;
}

/** Registers `pull PACKAGE DIR`: download and verify every file of a package into a directory. */
export function registerPullCommand(program: Command, signal: AbortSignal): void {
  program
    .command('pull')
    .description('download every file of a package into DIR, verifying each digest')
    .argument('<package>', 'package id')
    .argument('<dir>', 'target directory, created when missing')
    .option('--concurrency <n>', 'files downloaded at once, from 1 to 64', '8')
    .option('--force', 'overwrite existing files whose content differs')
    .option('--no-progress', 'print no progress on stderr')
    .action(async (packageId: string, dir: string, options: PullOptions, command: Command) => {
      await pull(new CliContext(command, signal), packageId, dir, options);
    });
}

async function pull(
  context: CliContext,
  packageId: string,
  dir: string,
  options: PullOptions,
): Promise<void> {
  const concurrency = parseConcurrency(options.concurrency);
  const root = resolve(dir);
  const started = Date.now();
  const client = await context.openClient({ connections: concurrency });
  try {
    const pkg = await client.getPackage(packageId);
    if (pkg.state === 'open') {
      context.printer.warn(`package ${pkg.id} is open: files added after this pull are missing`);
    }
    const files = await listAllFiles(client, pkg.id);
    const plan = await planPull(root, files, {
      force: options.force === true,
      signal: context.signal,
    });
    await mkdir(root, { recursive: true });
    await downloadAll(context, client, pkg.id, plan.downloads, {
      concurrency,
      showProgress: options.progress,
    });
    const bytes = plan.downloads.reduce((sum, download) => sum + download.file.size, 0);
    const summary = {
      packageId: pkg.id,
      directory: root,
      files: files.length,
      downloaded: plan.downloads.length,
      unchanged: plan.unchanged,
      bytes,
    };
    context.printer.result(summary, () =>
      [
        `pulled package ${pkg.id} into ${root}: ${files.length} files,`,
        `${plan.downloads.length} downloaded (${formatBytes(bytes)}), ${plan.unchanged} unchanged,`,
        `in ${formatSeconds(Date.now() - started)}`,
      ].join(' '),
    );
  } finally {
    await client.close();
  }
}

async function downloadAll(
  context: CliContext,
  client: StoreClient,
  packageId: string,
  downloads: readonly PlannedDownload[],
  options: { concurrency: number; showProgress: boolean },
): Promise<void> {
  const bytes = downloads.reduce((sum, download) => sum + download.file.size, 0);
  const totals = { files: downloads.length, bytes };
  const progress = new TransferProgress(context.printer, 'pull', totals, options.showProgress);
  try {
    await runPool(downloads, options.concurrency, context.signal, (download, signal) =>
      downloadFile(client, packageId, download, { progress, signal }),
    );
  } catch (err) {
    // The error of the file itself already names it; the pool wrapper adds nothing.
    throw err instanceof PoolItemError ? err.cause : err;
  } finally {
    progress.stop();
  }
}
