import type { Command } from 'commander';
import { listAllFiles } from '../../client/store-client.js';
import type { FileRecord, PackageRecord } from '../../registry/records.js';
import { CliContext } from '../cli-context.js';
import { formatBytes, renderTable } from '../format.js';

/** Registers `show PACKAGE`: one package and all its files. */
export function registerShowCommand(program: Command, signal: AbortSignal): void {
  program
    .command('show')
    .description('print one package and its files')
    .argument('<package>', 'package id')
    .action(async (packageId: string, _options: unknown, command: Command) => {
      await showPackage(new CliContext(command, signal), packageId);
    });
}

async function showPackage(context: CliContext, packageId: string): Promise<void> {
  const client = await context.openClient();
  try {
    const pkg = await client.getPackage(packageId);
    const files = await listAllFiles(client, pkg.id);
    context.printer.result({ package: pkg, files }, () => renderPackage(pkg, files));
  } finally {
    await client.close();
  }
}

function renderPackage(pkg: PackageRecord, files: readonly FileRecord[]): string[] {
  const fields: Array<[string, string]> = [
    ['id', pkg.id],
    ['name', pkg.name],
    ['producer', pkg.producer],
    ['subject', pkg.subject],
    ['retention class', pkg.retentionClass],
    ['state', pkg.state],
    ['created', `${pkg.createdAt} by ${pkg.createdBy}`],
    ['finalized', pkg.finalizedAt ?? '-'],
    ['manifest', pkg.manifestDigest ?? '-'],
    ['files', `${pkg.fileCount} (${formatBytes(pkg.totalSize)})`],
    ['metadata', JSON.stringify(pkg.metadata)],
  ];
  const width = Math.max(...fields.map(([label]) => label.length));
  const lines = fields.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`);
  if (files.length === 0) return lines;
  const rows = files.map((file) => [file.path, String(file.size), file.mediaType, file.digest]);
  return [
    ...lines,
    '',
    ...renderTable(['PATH', 'SIZE', 'MEDIA TYPE', 'DIGEST'], rows, new Set([1])),
  ];
}
