import type { Command } from 'commander';
import type { MigrationReport } from '../../db/migrate.js';
import { isStoreError } from '../../errors/store-error.js';
import { CliContext } from '../cli-context.js';
import type { Printer } from '../printer.js';

function printReports(printer: Printer, migrations: readonly MigrationReport[]): void {
  printer.result({ migrations }, () =>
    migrations.length === 0
      ? 'database schema is up to date'
      : migrations.map((m) => `${m.migrationName}  ${m.direction.toLowerCase()}  ${m.status}`),
  );
}

/** Registers `migrate [--fresh]`: apply pending database migrations. */
export function registerMigrateCommand(program: Command, signal: AbortSignal): void {
  program
    .command('migrate')
    .description('apply pending database migrations and print each with its status')
    .option('--fresh', 'first drop every table and all the data in them, without confirmation')
    .action(async (options: { fresh?: boolean }, command: Command) => {
      const context = new CliContext(command, signal);
      try {
        const { migrateDatabase } = await import('../../db/migrate.js');
        const reports = await migrateDatabase(context.config(), { fresh: options.fresh === true });
        printReports(context.printer, reports);
      } catch (err) {
        // A failed run still reports which migrations ran, failed or were not executed.
        const migrations = isStoreError(err, 'MIGRATION_FAILED')
          ? err.details.migrations
          : undefined;
        if (Array.isArray(migrations)) printReports(context.printer, migrations);
        throw err;
      }
    });
}
