import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { listAllFiles, type StoreClient } from '../client/store-client.js';
import { StoreError } from '../errors/store-error.js';
import type { CliContext } from './cli-context.js';
import { downloadToTemp, type PlannedDownload } from './download-file.js';
import { FileCommitter } from './file-committer.js';
import { formatBytes, formatSeconds } from './format.js';
import { parseConcurrency } from './option-values.js';
import { planPull } from './plan-pull.js';
import { TransferProgress } from './progress.js';
import { PoolItemError, runPool } from './run-pool.js';

/**
 * Files fsynced and renamed at once. An fsync of a small file mostly waits on the device, so
 * many in flight overlap their waits. Each one occupies a thread of libuv's pool, which the CLI
 * sizes to 16 unless UV_THREADPOOL_SIZE is set.
 */
const COMMIT_PARALLELISM = 16;

/** Options of `pull`, as commander parses them. */
export interface PullOptions {
  concurrency: string;
  force?: boolean;
  progress: boolean;
}

/**
 * Downloads and verifies every file of a package into `dir`, skipping files already there with
 * the same content, and prints a summary.
 */
export async function pullPackage(
  context: CliContext,
  packageId: string,
  dir: string,
  options: PullOptions,
): Promise<void> {
  const concurrency = parseConcurrency(options.concurrency);
  const root = await checkTargetDirectory(dir);
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
      concurrency,
      signal: context.signal,
    });
    await downloadAll(context, client, pkg.id, root, plan.downloads, {
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

/**
 * Resolves the target directory of a pull. It may be missing, since the pull creates it, but
 * anything other than a directory there, or a file where one of its parents belongs, rejects the
 * pull with INVALID_ARGUMENT before the store is asked. `--force` would not help in that case.
 */
async function checkTargetDirectory(dir: string): Promise<string> {
  const root = resolve(dir);
  let reason: string;
  try {
    if ((await stat(root)).isDirectory()) return root;
    reason = 'it exists and is not a directory';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return root;
    if (code !== 'ENOTDIR') throw err;
    reason = 'one of its parents is a file';
  }
  throw new StoreError(
    'INVALID_ARGUMENT',
    `cannot pull into ${JSON.stringify(dir)}: ${reason}; pass the path of a directory, which pull creates when it is missing`,
    { path: dir },
  );
}

/**
 * Downloads every planned file into a temporary file, then fsyncs it and renames it over its
 * target. Returns only once the directories that gained entries are fsynced as well. Files
 * renamed before a failure stay, since each was verified.
 */
async function downloadAll(
  context: CliContext,
  client: StoreClient,
  packageId: string,
  root: string,
  downloads: readonly PlannedDownload[],
  options: { concurrency: number; showProgress: boolean },
): Promise<void> {
  const bytes = downloads.reduce((sum, download) => sum + download.file.size, 0);
  const totals = { files: downloads.length, bytes };
  const progress = new TransferProgress(context.printer, 'pull', totals, options.showProgress);
  const committer = new FileCommitter({
    parallelism: COMMIT_PARALLELISM,
    onCommitted: () => progress.completeFile(),
  });
  try {
    await committer.createDirectories(
      new Set([root, ...downloads.map((download) => dirname(download.target))]),
    );
    const order = alternateDirectories(downloads);
    await runPool(order, options.concurrency, context.signal, async (download, signal) => {
      const staged = await downloadToTemp(client, packageId, download, { progress, signal });
      await committer.commit(staged, signal);
    });
    await committer.finish();
  } catch (err) {
    await committer.settle();
    // The error of the file itself already names it; the pool wrapper adds nothing.
    throw err instanceof PoolItemError ? err.cause : err;
  } finally {
    progress.stop();
  }
}

/**
 * Orders downloads round-robin over their directories, each directory's files in their planned
 * order. Creating a file locks its directory, so files of different directories in flight can
 * be created at the same time.
 */
function alternateDirectories(downloads: readonly PlannedDownload[]): PlannedDownload[] {
  const byDirectory = new Map<string, PlannedDownload[]>();
  for (const download of downloads) {
    const directory = dirname(download.target);
    const queue = byDirectory.get(directory);
    if (queue === undefined) byDirectory.set(directory, [download]);
    else queue.push(download);
  }
  const ordered: PlannedDownload[] = [];
  let queues = [...byDirectory.values()];
  for (let round = 0; queues.length > 0; round += 1) {
    for (const queue of queues) ordered.push(queue[round] as PlannedDownload);
    queues = queues.filter((queue) => queue.length > round + 1);
  }
  return ordered;
}
