import type { Command } from 'commander';
import type { StoreClient } from '../../client/store-client.js';
import { StoreError } from '../../errors/store-error.js';
import type { HealthStatus } from '../../registry/records.js';
import { CliContext } from '../cli-context.js';

function degradedError(health: HealthStatus, target: string): StoreError {
  const code = health.db === 'ok' ? 'STORAGE_UNAVAILABLE' : 'DATABASE_UNAVAILABLE';
  return new StoreError(
    code,
    `store ${target} is degraded: database ${health.db}, storage backend ${health.backend}`,
    { ...health },
  );
}

async function openHealthClient(context: CliContext): Promise<StoreClient> {
  if (context.server !== undefined) return context.openClient();
  // Probing must not change the database, so pending migrations stay pending.
  const registry = await context.openRegistry({ migrate: false });
  const { LocalClient } = await import('../../client/local-client.js');
  return new LocalClient(registry, { target: registry.database.displayUrl, actor: context.actor });
}

/**
 * Registers `health`: prints the JSON of GET /health and fails with an unavailable status when
 * the store is degraded.
 */
export function registerHealthCommand(program: Command, signal: AbortSignal): void {
  program
    .command('health')
    .description('probe the database and the storage backend; exit 7 when either is unavailable')
    .action(async (_options: unknown, command: Command) => {
      const context = new CliContext(command, signal);
      const client = await openHealthClient(context);
      try {
        const health = await client.health();
        context.printer.stdout.write(`${JSON.stringify(health)}\n`);
        if (health.status !== 'ok') throw degradedError(health, client.target);
      } finally {
        await client.close();
      }
    });
}
