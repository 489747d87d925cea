import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { listAllFiles, type StoreClient } from '../client/store-client.js';
import { StoreError } from '../errors/store-error.js';
import type { FinalizeResult, Metadata, PackageRecord } from '../registry/records.js';
import type { CliContext } from './cli-context.js';
import { CommandFailure } from './command-failure.js';
import { formatBytes, formatSeconds } from './format.js';
import { hashFile } from './hash-file.js';
import { parseConcurrency, parseMetadataOption } from './option-values.js';
import { TransferProgress } from './progress.js';
import { uploadFiles } from './upload-files.js';
import { type LocalFile, walkDirectory } from './walk-directory.js';

/** Options of `push`, as commander parses them. */
export interface PushOptions {
  name: string;
  producer: string;
  subject: string;
  retentionClass?: string;
  metadata?: string;
  concurrency: string;
  resume?: string;
  skipSpecial?: boolean;
  progress: boolean;
}

/**
 * Creates a package from the regular files under `dir`, uploads them and finalizes it, or with
 * `--resume` uploads only the files that the open package lacks. Prints a summary.
 */
export async function pushDirectory(
  context: CliContext,
  dir: string,
  options: PushOptions,
): Promise<void> {
  const concurrency = parseConcurrency(options.concurrency);
  const metadata =
    options.metadata === undefined ? undefined : parseMetadataOption(options.metadata);
  const root = await checkDirectory(dir);
  const { files, skipped } = await walkDirectory(root, options.skipSpecial === true);
  for (const entry of skipped) {
    context.printer.warn(`skipped ${JSON.stringify(entry.path)}: it is a ${entry.kind}`);
  }
  if (files.length === 0) context.printer.warn(`${root} contains no regular files`);

  const started = Date.now();
  const client = await context.openClient({ connections: concurrency });
  try {
    const { pkg, pending } = await preparePackage(context, client, files, options, metadata);
    const result = await uploadAndFinalize(context, client, pkg, pending, {
      concurrency,
      showProgress: options.progress,
    });
    const bytes = pending.reduce((sum, file) => sum + file.size, 0);
    printPushResult(
      context,
      result,
      { files: files.length, uploaded: pending.length, bytes },
      {
        started,
        skipped,
      },
    );
  } finally {
    await client.close();
  }
}

async function checkDirectory(dir: string): Promise<string> {
  const root = resolve(dir);
  const stats = await stat(root).catch(() => undefined);
  if (stats?.isDirectory() !== true) {
    throw new StoreError(
      'INVALID_ARGUMENT',
      `cannot push ${JSON.stringify(dir)}: ${stats === undefined ? 'no such directory' : 'not a directory'}`,
      { path: dir },
    );
  }
  return root;
}

/** Creates the package, or with `--resume` finds the files the open package still lacks. */
async function preparePackage(
  context: CliContext,
  client: StoreClient,
  files: readonly LocalFile[],
  options: PushOptions,
  metadata: Metadata | undefined,
): Promise<{ pkg: PackageRecord; pending: LocalFile[] }> {
  if (options.resume === undefined) {
    const pkg = await client.createPackage({
      name: options.name,
      producer: options.producer,
      subject: options.subject,
      retentionClass: options.retentionClass,
      metadata,
    });
    context.printer.debug(`created package ${pkg.id}`);
    return { pkg, pending: [...files] };
  }
  const pkg = await client.getPackage(options.resume);
  checkResumable(pkg, options);
  return { pkg, pending: await findPending(context, client, pkg, files) };
}

function checkResumable(pkg: PackageRecord, options: PushOptions): void {
  if (pkg.state !== 'open') {
    throw new StoreError(
      'PACKAGE_FINALIZED',
      `cannot resume package ${pkg.id}: it is already finalized with manifest ${pkg.manifestDigest}`,
      { packageId: pkg.id, manifestDigest: pkg.manifestDigest },
    );
  }
  for (const field of ['name', 'producer', 'subject'] as const) {
    if (pkg[field] === options[field]) continue;
    throw new StoreError(
      'INVALID_ARGUMENT',
      `cannot resume package ${pkg.id}: its ${field} is ${JSON.stringify(pkg[field])}, not ${JSON.stringify(options[field])}; pass the options of the original push`,
      { packageId: pkg.id, option: `--${field}`, expected: pkg[field], got: options[field] },
    );
  }
}

/**
 * Returns the local files that the open package does not have yet. A file already uploaded
 * must have the same content as on disk, checked by hashing it, else PATH_CONFLICT.
 */
async function findPending(
  context: CliContext,
  client: StoreClient,
  pkg: PackageRecord,
  files: readonly LocalFile[],
): Promise<LocalFile[]> {
  const uploaded = new Map((await listAllFiles(client, pkg.id)).map((file) => [file.path, file]));
  const pending: LocalFile[] = [];
  for (const file of files) {
    const remote = uploaded.get(file.path);
    uploaded.delete(file.path);
    if (remote === undefined) {
      pending.push(file);
      continue;
    }
    const local = await hashFile(file.absolute, context.signal);
    if (local.digest === remote.digest) continue;
    throw new StoreError(
      'PATH_CONFLICT',
      `cannot resume package ${pkg.id}: ${JSON.stringify(file.path)} was uploaded as ${remote.digest} but the file on disk is now ${local.digest}; push into a new package instead`,
      { packageId: pkg.id, path: file.path, expected: remote.digest, actual: local.digest },
    );
  }
  for (const path of uploaded.keys()) {
    context.printer.warn(
      `package ${pkg.id} contains ${JSON.stringify(path)}, which is not on disk`,
    );
  }
  return pending;
}

/**
 * Uploads the pending files and finalizes. On failure it explains that the package stays open
 * and how to finish it. It then rejects with a `CommandFailure` that adds `packageId` to the
 * error details, so that a script run with `--json` can resume without parsing the hint.
 */
async function uploadAndFinalize(
  context: CliContext,
  client: StoreClient,
  pkg: PackageRecord,
  pending: readonly LocalFile[],
  options: { concurrency: number; showProgress: boolean },
): Promise<FinalizeResult> {
  const { concurrency, showProgress } = options;
  const bytes = pending.reduce((sum, file) => sum + file.size, 0);
  const totals = { files: pending.length, bytes };
  const progress = new TransferProgress(context.printer, 'push', totals, showProgress);
  try {
    await uploadFiles(client, pkg.id, pending, { concurrency, progress, signal: context.signal });
    progress.stop();
    return await client.finalize(pkg.id);
  } catch (err) {
    progress.stop();
    context.printer.note(
      `push: package ${pkg.id} stays open and is not finalized. To finish it, fix the cause and run the same command again with --resume ${pkg.id}: it uploads only the missing files, then finalizes.`,
    );
    throw new CommandFailure(err, { packageId: pkg.id });
  }
}

function printPushResult(
  context: CliContext,
  result: FinalizeResult,
  counts: { files: number; uploaded: number; bytes: number },
  extra: { started: number; skipped: Array<{ path: string; kind: string }> },
): void {
  const elapsed = Date.now() - extra.started;
  const value = {
    packageId: result.package.id,
    manifestDigest: result.manifestDigest,
    files: counts.files,
    uploaded: counts.uploaded,
    bytes: counts.bytes,
    skipped: extra.skipped,
    package: result.package,
  };
  context.printer.result(value, () => [
    `pushed ${counts.uploaded} of ${counts.files} files (${formatBytes(counts.bytes)}) in ${formatSeconds(elapsed)}`,
    `package   ${result.package.id}`,
    `manifest  ${result.manifestDigest}`,
  ]);
}
