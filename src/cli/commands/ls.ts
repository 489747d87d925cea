import type { Command } from 'commander';
import type { ListPackagesQuery, PackageRecord } from '../../registry/records.js';
import { CliContext } from '../cli-context.js';
import { formatBytes, renderTable } from '../format.js';
import { parseIntegerOption, parseStateOption } from '../option-values.js';

interface LsOptions {
  producer?: string;
  subject?: string;
  name?: string;
  state?: string;
  limit?: string;
  cursor?: string;
}

/** Registers `ls`: list packages, as a table or with `--json` as one page object. */
export function registerLsCommand(program: Command, signal: AbortSignal): void {
  program
    .command('ls')
    .description('list packages in creation order, one page at a time')
    .option('--producer <producer>', 'only packages of this producer')
    .option('--subject <subject>', 'only packages with this subject')
    .option('--name <name>', 'only packages with this name')
    .option('--state <state>', 'only open or only finalized packages')
    .option('--limit <n>', 'packages per page, from 1 to 1000 (default: 100)')
    .option('--cursor <cursor>', 'cursor of the next page, printed by the previous one')
    .action(async (options: LsOptions, command: Command) => {
      await listPackages(new CliContext(command, signal), options);
    });
}

function toQuery(options: LsOptions): ListPackagesQuery {
  return {
    producer: options.producer,
    subject: options.subject,
    name: options.name,
    state: options.state === undefined ? undefined : parseStateOption(options.state),
    limit:
      options.limit === undefined
        ? undefined
        : parseIntegerOption('--limit', options.limit, 1, 1000),
    cursor: options.cursor,
  };
}

async function listPackages(context: CliContext, options: LsOptions): Promise<void> {
  const query = toQuery(options);
  const client = await context.openClient();
  try {
    const page = await client.listPackages(query);
    context.printer.result(page, () => renderPackages(page.items));
    if (page.nextCursor !== null && !context.printer.json) {
      context.printer.note(`more packages: artifactstore ls --cursor ${page.nextCursor}`);
    }
  } finally {
    await client.close();
  }
}

function renderPackages(packages: readonly PackageRecord[]): string[] {
  if (packages.length === 0) return ['no packages'];
  const rows = packages.map((pkg) => [
    pkg.id,
    pkg.name,
    pkg.producer,
    pkg.subject,
    pkg.state,
    String(pkg.fileCount),
    formatBytes(pkg.totalSize),
    pkg.createdAt,
  ]);
  const header = ['ID', 'NAME', 'PRODUCER', 'SUBJECT', 'STATE', 'FILES', 'SIZE', 'CREATED'];
  return renderTable(header, rows, new Set([5, 6]));
}
